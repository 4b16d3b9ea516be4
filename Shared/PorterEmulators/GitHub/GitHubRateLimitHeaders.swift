import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

/// Adds GitHub's `x-ratelimit-*` headers to every answer, counting down a primary limit of 5000 an hour.
struct GitHubRateLimitHeaders<Context: RequestContext>: RouterMiddleware {
    final class Window: Sendable {
        let used = Mutex((count: 0, reset: Date().addingTimeInterval(3600)))
    }

    let window = Window()

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        var response = try await next(request, context)
        let (used, reset) = window.used.withLock { window in
            if window.reset < Date() { window = (0, Date().addingTimeInterval(3600)) }
            window.count += 1
            return (window.count, window.reset)
        }
        for (name, value) in [
            ("x-ratelimit-limit", "5000"), ("x-ratelimit-remaining", String(max(0, 5000 - used))),
            ("x-ratelimit-reset", String(Int(reset.timeIntervalSince1970))), ("x-ratelimit-used", String(used)),
            ("x-ratelimit-resource", "core"),
        ] where response.headers[HTTPField.Name(name)!] == nil {
            response.headers[HTTPField.Name(name)!] = value
        }
        return response
    }
}
