import AsyncHTTPClient
import Foundation
import NIOHTTP1

extension GitHubClient {
    /// Sends with the rate-limit rules GitHub documents. A call GitHub refused for rate limiting was not
    /// carried out, so sending it again is safe even when it creates something.
    func sendLimited(_ request: APIRequest, credential: Credential, bearer: String) async throws -> APIResponse {
        let key = Self.limitKey(credential)
        let limiter = mutations
        let limit = mutationLimit
        let limits = limits
        let maxWait = maxRateLimitWait
        let mutating = request.method != .GET && request.method != .HEAD
        var attempt = 1
        while true {
            do {
                return try await api.send(
                    request,
                    prepare: { outgoing in
                        if let wait = await limits.wait(for: key) {
                            try await Task.sleep(for: min(.milliseconds(Int64(wait * 1000)), maxWait))
                        }
                        if mutating, case .installation = credential { try await limiter.acquire(key, limit: limit) }
                        outgoing.headers.replaceOrAdd(name: "Authorization", value: "Bearer \(bearer)")
                    },
                    observe: { response in await limits.observe(response.headers, key: key) })
            } catch let error as APIError {
                guard attempt < rateLimitRetries, let wait = await rateLimitWait(error, key: key, attempt: attempt)
                else { throw error }
                logger.notice(
                    "GitHub rate limit, waiting",
                    metadata: ["operation": "\(request.operation)", "wait": "\(wait)"])
                try await Task.sleep(for: min(wait, maxRateLimitWait))
                attempt += 1
            }
        }
    }

    /// How long to wait before trying again, when `error` is a primary or secondary rate limit.
    func rateLimitWait(_ error: APIError, key: String, attempt: Int) async -> Duration? {
        guard case .status(let code, _, _, let body, let retryAfter) = error, code == 403 || code == 429 else {
            return nil
        }
        let exhausted = await limits.wait(for: key)
        let secondary = body.lowercased().contains("rate limit")
        guard code == 429 || retryAfter != nil || secondary || exhausted != nil else { return nil }
        if let retryAfter { return retryAfter }
        if let exhausted { return .milliseconds(Int64(exhausted * 1000) + 500) }
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
