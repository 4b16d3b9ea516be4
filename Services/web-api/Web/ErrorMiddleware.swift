import Foundation
import HTTPTypes
import Hummingbird
import Logging
import PorterKit

/// Turns every error into an answer a person or a script can use: `{"error", "message"}` under
/// `/api/`, an error page elsewhere, and a sign-in redirect for a page that needs a session. Details
/// of unexpected errors go to the log only.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = WebContext

    let pages: Pages
    let sessions: PostgresSessionStore
    let settings: SessionSettings

    func handle(
        _ request: Request, context: WebContext, next: (Request, WebContext) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let problem = Self.problem(error, logger: context.logger)
            let path = request.uri.path
            if path.hasPrefix("/api/") || path == "/api" {
                return JSONAnswer.error(problem)
            }
            if problem == .unauthorized, request.method == .get {
                let next = request.uri.string
                return .redirect(
                    to: "/auth?next=" + (next.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/"),
                    type: .found)
            }
            // This middleware runs outside the session's, so the page looks the session up itself.
            var user = context.user
            if user == nil, let id = request.cookies[settings.sessionCookie]?.value, !id.isEmpty {
                user = try? await sessions.user(sessionID: id)
            }
            return pages.error(problem, user: user)
        }
    }

    static func problem(_ error: any Error, logger: Logger) -> WebError {
        switch error {
        case let problem as WebError:
            return problem
        case let error as any HTTPResponseError:
            switch error.status {
            case .notFound: return .notFound
            case .contentTooLarge:
                return WebError(status: .contentTooLarge, code: "too_large", message: "The request is too large.")
            case .methodNotAllowed:
                return WebError(
                    status: .methodNotAllowed, code: "method_not_allowed", message: "That method is not allowed here.")
            case let status where status.code < 500:
                return WebError(status: status, code: "bad_request", message: "The request could not be read.")
            default:
                break
            }
        case is DecodingError:
            return .badRequest("The request body is not what this endpoint takes.")
        default:
            break
        }
        logger.error("request failed", metadata: ["error": "\(String(reflecting: error))"])
        return WebError(
            status: .internalServerError, code: "internal", message: "Something went wrong on Porter's side. Try again."
        )
    }
}
