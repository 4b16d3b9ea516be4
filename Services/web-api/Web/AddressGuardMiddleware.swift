import Foundation
import Hummingbird

/// Refuses an address whose path or query decodes to a NUL character before any route reads it:
/// PostgreSQL text cannot hold one, so a filter or a name carrying it would only fail later. Such a
/// path names nothing (404); such a query is a 400 that says why.
struct AddressGuardMiddleware: RouterMiddleware {
    typealias Context = WebContext

    func handle(
        _ request: Request, context: WebContext, next: (Request, WebContext) async throws -> Response
    ) async throws -> Response {
        if Self.holdsNUL(request.uri.path) { throw WebError.notFound }
        if Self.holdsNUL(request.uri.query ?? "") { throw WebError.nulCharacter }
        return try await next(request, context)
    }

    static func holdsNUL(_ encoded: String) -> Bool {
        encoded.contains("\u{0}") || encoded.range(of: "%00", options: .literal) != nil
    }
}
