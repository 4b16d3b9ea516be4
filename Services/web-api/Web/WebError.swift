import HTTPTypes
import Hummingbird

/// What the web app answers when a request cannot be served: a status, a stable code for scripts,
/// and a message for people. Never carries a secret or an internal detail.
struct WebError: Error, Equatable {
    var status: HTTPResponse.Status
    var code: String
    var message: String

    static let unauthorized = WebError(
        status: .unauthorized, code: "unauthorized", message: "Sign in to continue.")
    static let csrf = WebError(
        status: .forbidden, code: "csrf_failed",
        message: "This request did not carry the page's security token. Reload the page and try again.")
    static let notFound = WebError(status: .notFound, code: "not_found", message: "There is nothing here.")
    /// PostgreSQL text cannot hold U+0000, and no name, key or instruction needs one.
    static let nulCharacter = WebError(
        status: .badRequest, code: "nul_character", message: "Text cannot contain the NUL character (U+0000).")

    static func badRequest(_ message: String, code: String = "bad_request") -> WebError {
        WebError(status: .badRequest, code: code, message: message)
    }

    static func invalid(_ message: String, code: String = "invalid") -> WebError {
        WebError(status: .unprocessableContent, code: code, message: message)
    }

    static func upstream(_ message: String, code: String = "upstream_failed") -> WebError {
        WebError(status: .badGateway, code: code, message: message)
    }
}
