import Foundation
import HTTPTypes
import Hummingbird
import PorterKit

/// Reads the session cookie into the context, and refuses a state-changing request from a session
/// that does not carry its CSRF token (the `X-CSRF-Token` header, or a form's `_csrf` field) or that
/// comes from another origin.
struct SessionMiddleware: RouterMiddleware {
    typealias Context = WebContext

    let sessions: PostgresSessionStore
    let settings: SessionSettings
    /// Scheme, host and port of `PORTER_PUBLIC_URL`: a browser's `Origin` on a same-site request.
    let origin: String

    static let csrfHeader = HTTPField.Name("X-CSRF-Token")!
    static let formLimit = 64 * 1024

    func handle(
        _ request: Request, context: WebContext, next: (Request, WebContext) async throws -> Response
    ) async throws -> Response {
        var context = context
        var request = request
        if let id = request.cookies[settings.sessionCookie]?.value, !id.isEmpty,
            let user = try await sessions.user(sessionID: id)
        {
            context.user = user
            context.sessionID = id
        }
        if Self.changesState(request.method) {
            // Webhooks and worker callbacks come signed, not from a browser session.
            if !Self.exempt(request.uri.path) {
                try await checkForgery(&request, context: context)
            }
        }
        return try await next(request, context)
    }

    static func changesState(_ method: HTTPRequest.Method) -> Bool {
        ![.get, .head, .options].contains(method)
    }

    static func exempt(_ path: String) -> Bool {
        path == "/api/webhooks/github" || path.hasPrefix("/api/callbacks/")
    }

    func checkForgery(_ request: inout Request, context: WebContext) async throws {
        if let from = request.headers[.origin], from != origin {
            throw WebError(
                status: .forbidden, code: "cross_origin", message: "Requests from another site are refused.")
        }
        // Without a session there is nothing to forge; the route answers 401 itself.
        guard let user = context.user else { return }
        var presented = request.headers[Self.csrfHeader]
        if presented == nil, request.headers[.contentType]?.hasPrefix("application/x-www-form-urlencoded") == true {
            let body = try await request.collectBody(upTo: Self.formLimit)
            presented = Form(String(buffer: body))["_csrf"]
        }
        guard let presented, RandomToken.equal(Array(presented.utf8), Array(user.csrfToken.utf8)) else {
            throw WebError.csrf
        }
    }
}
