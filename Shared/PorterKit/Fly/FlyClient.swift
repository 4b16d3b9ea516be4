import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// The Fly Machines API (`/v1/apps…`) for one token: apps, Machines, waits and token checks, paced
/// under Fly's rate limits. Bodies use plain coders with keys spelled as in the swagger, not
/// `JSONEncoder.api`: its snake_case conversion does not round-trip names like `memoryMB` or `instanceID`.
public struct FlyClient: Sendable {
    let api: APIClient
    let authorization: Secret<String>
    let limiter: RateLimiter
    let pacer: (any FlyPacer)?
    let logger: Logger

    /// - Parameters:
    ///   - limiter: share one per process so every caller with this token paces together.
    ///   - pacer: paces with other processes too (the dispatcher's replicas share Postgres's); when it
    ///     is absent or failing, the `limiter` paces this process alone.
    public init(
        baseURL: URL, token: Secret<String>, httpClient: HTTPClient = .shared,
        retry: RetryPolicy = RetryPolicy(maxAttempts: 6, baseDelay: .milliseconds(250), maxDelay: .seconds(10)),
        limiter: RateLimiter = RateLimiter(), pacer: (any FlyPacer)? = nil, metrics: ServiceMetrics? = nil,
        logger: Logger
    ) {
        // Tokens from `fly tokens create` start with `FlyV1 ` and are the whole header value;
        // older personal tokens go after `Bearer `.
        let header = token.value.hasPrefix("FlyV1 ") ? token.value : "Bearer \(token.value)"
        authorization = Secret(header)
        api = APIClient(
            api: "fly", baseURL: baseURL, retry: retry, httpClient: httpClient, metrics: metrics, logger: logger,
            redactor: Redactor(knownSecrets: [token.value]))
        self.limiter = limiter
        self.pacer = pacer
        self.logger = logger
    }

    /// Sends `request` once pacing allows `action` on `app`, before every try.
    func send(_ request: APIRequest, app: String?, using client: APIClient? = nil) async throws -> APIResponse {
        let key = "\(app ?? "-") \(request.operation)"
        let limit = FlyRateLimits.limit(for: request.operation)
        return try await (client ?? api).send(
            request,
            prepare: { [self] outgoing in
                try await pace(key, limit: limit)
                outgoing.headers.replaceOrAdd(name: "Authorization", value: authorization.value)
            })
    }

    func decode<T: Decodable>(_ type: T.Type, _ response: APIResponse, operation: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(buffer: response.body))
        } catch {
            throw APIError.decoding(api: "fly", operation: operation, reason: "\(error)")
        }
    }

    static func jsonRequest(
        _ method: HTTPMethod, _ path: String, operation: String, body: some Encodable, idempotent: Bool
    ) throws -> APIRequest {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        let data = try JSONEncoder().encode(body)
        return APIRequest(
            method, path, operation: operation, headers: headers, body: ByteBuffer(bytes: data), idempotent: idempotent)
    }

    static func escape(_ component: String) -> String {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+/?#")
        return component.addingPercentEncoding(withAllowedCharacters: allowed) ?? component
    }
}

/// Fly's Machines API limits (the "Rate limits" section of https://fly.io/docs/machines/api/,
/// and https://community.fly.io/t/understanding-fly-io-api-rate-hard-limits/20636): 1 request per
/// second per action, bursts up to 3, for everything except Get Machine, which allows 5 per second
/// with bursts up to 10. Fly counts per Machine; pacing per app is stricter and so always within them.
/// The client's bursts are one smaller than Fly's: Fly counts arrivals, and requests paced on departure
/// can arrive closer together than they left (one delayed in transit, the next not).
enum FlyRateLimits {
    static func limit(for operation: String) -> RateLimiter.Limit {
        operation == "get_machine" ? RateLimiter.Limit(rate: 5, burst: 9) : RateLimiter.Limit(rate: 1, burst: 2)
    }
}

/// A Fly call that failed for a reason `APIError` does not describe.
public enum FlyError: Error, Sendable, CustomStringConvertible {
    /// The Machine did not reach `state` before the caller's deadline.
    case waitDeadlineExceeded(machineID: String, state: MachineState)

    public var description: String {
        switch self {
        case .waitDeadlineExceeded(let machineID, let state):
            "fly machine \(machineID) did not reach \(state) before the deadline"
        }
    }
}
