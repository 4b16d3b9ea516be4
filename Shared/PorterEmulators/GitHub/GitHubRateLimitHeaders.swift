import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

/// GitHub's primary rate limit of 5000 calls an hour, counted as GitHub counts it: per user for user
/// tokens, per installation for installation tokens, once for the App's JWTs, and once for the rest.
final class GitHubRateLimitLedger: Sendable {
    struct Window: Sendable {
        var used = 0
        var reset: Date
        var remaining: Int { max(0, GitHubRateLimitLedger.limit - used) }
    }

    static let limit = 5000
    private let windows = Mutex<[String: Window]>([:])

    /// Counts one call under `key` when `counted`, and returns the window it falls in.
    func window(_ key: String, counting counted: Bool, now: Date = Date()) -> Window {
        windows.withLock { windows in
            var window = windows[key] ?? Window(reset: now.addingTimeInterval(3600))
            if window.reset <= now { window = Window(reset: now.addingTimeInterval(3600)) }
            if counted { window.used += 1 }
            windows[key] = window
            return window
        }
    }
}

/// Adds GitHub's `x-ratelimit-*` headers to every answer, from the caller's own window.
struct GitHubRateLimitHeaders<Context: RequestContext>: RouterMiddleware {
    let emulator: GitHubEmulator

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        let key = emulator.rateLimitKey(request) ?? GitHubEmulator.anonymousRateLimitKey
        // As on GitHub, asking for the rate limit does not count against it.
        let window = emulator.rateLimits.window(key, counting: request.uri.path != "/rate_limit")
        var response = try await next(request, context)
        for (name, value) in [
            ("x-ratelimit-limit", String(GitHubRateLimitLedger.limit)),
            ("x-ratelimit-remaining", String(window.remaining)),
            ("x-ratelimit-reset", String(Int(window.reset.timeIntervalSince1970))),
            ("x-ratelimit-used", String(window.used)), ("x-ratelimit-resource", "core"),
        ] where response.headers[HTTPField.Name(name)!] == nil {
            response.headers[HTTPField.Name(name)!] = value
        }
        return response
    }
}

extension GitHubEmulator {
    static let anonymousRateLimitKey = "anonymous"

    /// Whose window a request counts in; nil when it carries a token that is not (or no longer) valid.
    func rateLimitKey(_ request: Request) -> String? {
        guard let token = Self.bearer(request) else { return Self.anonymousRateLimitKey }
        if token.split(separator: ".").count == 3 { return "app" }
        if let login = liveUserLogin(token) { return "user:" + login.lowercased() }
        if let found = try? grant(for: token) { return "installation:\(found.grant.installationID)" }
        return nil
    }

    func addRateLimitRoutes(to router: Router<BasicRequestContext>) {
        router.get("/rate_limit") { request, _ in
            guard let key = self.rateLimitKey(request) else { throw GitHubAPIError.badCredentials }
            let window = self.rateLimits.window(key, counting: false)
            let core: [String: Any] = [
                "limit": GitHubRateLimitLedger.limit, "remaining": window.remaining, "used": window.used,
                "reset": Int(window.reset.timeIntervalSince1970), "resource": "core",
            ]
            let untouched = { (resource: String, limit: Int, seconds: TimeInterval) -> [String: Any] in
                [
                    "limit": limit, "remaining": limit, "used": 0, "resource": resource,
                    "reset": Int(Date().addingTimeInterval(seconds).timeIntervalSince1970),
                ]
            }
            return GitHubJSONResponse.make([
                "resources": [
                    "core": core, "graphql": untouched("graphql", 5000, 3600), "search": untouched("search", 30, 60),
                ],
                "rate": core,
            ])
        }
    }
}
