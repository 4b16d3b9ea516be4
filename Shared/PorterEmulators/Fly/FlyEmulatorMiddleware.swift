import Foundation
import HTTPTypes
import Hummingbird

/// Which Fly action a request counts against, and for which app.
enum FlyAction {
    static func classify(method: String, path: String) -> (action: String, app: String?) {
        let parts = path.split(separator: "/").map(String.init)
        guard parts.count >= 2, parts[0] == "v1", parts[1] == "apps" else { return ("other", nil) }
        let app = parts.count > 2 ? parts[2] : nil
        switch (method, parts.count, parts.count > 5 ? parts[5] : nil) {
        case ("GET", 2, _): return ("list_apps", nil)
        case ("POST", 2, _): return ("create_app", nil)
        case ("GET", 3, _): return ("get_app", app)
        case ("DELETE", 3, _): return ("destroy_app", app)
        case ("GET", 4, _): return ("list_machines", app)
        case ("POST", 4, _): return ("create_machine", app)
        case ("GET", 5, _): return ("get_machine", app)
        case ("POST", 5, _): return ("update_machine", app)
        case ("DELETE", 5, _): return ("destroy_machine", app)
        case (_, 6, let verb?): return ("\(verb)_machine", app)
        default: return ("other", app)
        }
    }
}

/// Logs every request as it arrives, outermost, so injected faults are counted too.
struct FlyRecordingMiddleware<Context: RequestContext>: RouterMiddleware {
    let emulator: FlyEmulator

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let path = request.uri.path
        guard !path.hasPrefix("/_emulator") else { return try await next(request, context) }
        var request = request
        let body = try await request.collectBody(upTo: 1 << 20)
        var query: [String: String] = [:]
        for (key, value) in request.uri.queryParameters { query[String(key)] = String(value) }
        let (action, app) = FlyAction.classify(method: request.method.rawValue, path: path)
        let received = FlyEmulator.ReceivedRequest(
            method: request.method.rawValue, path: path, query: query, action: action, app: app,
            body: String(buffer: body), receivedAt: .now)
        emulator.state.withLock { $0.requests.append(received) }
        return try await next(request, context)
    }
}

/// Refuses requests over Fly's per-app, per-action limits with 429 and `Retry-After`.
struct FlyRateLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    let emulator: FlyEmulator

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let path = request.uri.path
        guard !path.hasPrefix("/_emulator") else { return try await next(request, context) }
        let (action, app) = FlyAction.classify(method: request.method.rawValue, path: path)
        let wait: Duration? = emulator.state.withLock { state in
            guard state.enforcesRateLimits else { return nil }
            return state.limiter.take(action: action, app: app ?? "", now: .now)
        }
        if let wait {
            let seconds = max(1, Int(wait.seconds.rounded(.up)))
            throw FlyEmulatorError(
                .tooManyRequests, "rate limit exceeded for \(action)", headers: [.retryAfter: String(seconds)])
        }
        return try await next(request, context)
    }
}
