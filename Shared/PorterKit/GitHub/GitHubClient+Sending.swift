import AsyncHTTPClient
import Foundation
import NIOHTTP1

extension GitHubClient {
    /// Sends with the rate-limit rules GitHub documents. A call GitHub refused for rate limiting was not
    /// carried out, so sending it again is safe even when it creates something.
    func sendLimited(_ request: APIRequest, credential: Credential, bearer: String) async throws -> APIResponse {
        let key = Self.limitKey(credential)
        let limits = limits
        let maxWait = maxRateLimitWait
        let mutating = request.method != .GET && request.method != .HEAD
        let gated = if case .installation = credential { mutating } else { false }
        // A gated call is tried once per pass through the gate; its transient failures are retried
        // here, so a retry also waits its turn and its second.
        var once = request
        if gated { once.idempotent = false }
        var attempt = 1
        var transientAttempt = 1
        while true {
            do {
                if gated { try await mutations.enter(key, spacing: mutationSpacing) }
                let answer: Result<APIResponse, any Error>
                do {
                    answer = .success(
                        try await api.send(
                            once,
                            prepare: { outgoing in
                                if let wait = await limits.wait(for: key) {
                                    try await Task.sleep(for: min(.milliseconds(Int64(wait * 1000)), maxWait))
                                }
                                outgoing.headers.replaceOrAdd(name: "Authorization", value: "Bearer \(bearer)")
                            },
                            observe: { response in await limits.observe(response.headers, key: key) }))
                } catch {
                    answer = .failure(error)
                }
                if gated { await mutations.leave(key) }
                return try answer.get()
            } catch let error as APIError {
                if let wait = await rateLimitWait(error, key: key, attempt: attempt), attempt < rateLimitRetries {
                    logger.notice(
                        "GitHub rate limit, waiting",
                        metadata: ["operation": "\(request.operation)", "wait": "\(wait)"])
                    try await Task.sleep(for: min(wait, maxRateLimitWait))
                    attempt += 1
                } else if gated, request.idempotent, error.isTransient, transientAttempt < api.retry.maxAttempts {
                    let serverAsked: Duration? =
                        if case .status(_, _, _, _, let retryAfter) = error { retryAfter } else { nil }
                    try await Task.sleep(for: api.retry.delay(afterAttempt: transientAttempt, serverAsked: serverAsked))
                    transientAttempt += 1
                } else {
                    throw error
                }
            }
        }
    }

    /// How long to wait before trying again, when `error` is a primary or secondary rate limit.
    func rateLimitWait(_ error: APIError, key: String, attempt: Int) async -> Duration? {
        guard case .status(let code, _, _, let body, let retryAfter) = error, code == 403 || code == 429 else {
            return nil
        }
        // A used-up primary quota (`x-ratelimit-remaining: 0`) is waited out until its reset, even
        // when the refusal arrived after the reset: then the window is already new.
        let exhausted = await limits.primaryReset(for: key)
        let secondary = body.lowercased().contains("rate limit")
        guard code == 429 || retryAfter != nil || secondary || exhausted != nil else { return nil }
        if let retryAfter { return retryAfter }
        if let exhausted { return .milliseconds(Int64(max(0, exhausted) * 1000) + 500) }
        // GitHub asks for at least a minute after a secondary limit that names no wait; grow from there.
        return .seconds(60) * (1 << min(attempt - 1, 4))
    }

    static func limitKey(_ credential: Credential) -> String {
        switch credential {
        case .app: "app"
        case .installation(let id): "installation:\(id)"
        case .user(let token): "user:\(token.hashValue)"
        }
    }

    static func path(_ segments: String...) -> String { path(segments) }

    /// Percent-encodes each segment, so a name can never reach another endpoint.
    static func path(_ segments: [String]) -> String {
        "/"
            + segments.map { $0.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"]))! }
            .joined(separator: "/")
    }
}
