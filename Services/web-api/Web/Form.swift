import Foundation
import Hummingbird

/// An `application/x-www-form-urlencoded` body, as an HTML form posts it.
struct Form {
    var fields: [String: String] = [:]

    init(_ body: String) {
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = Self.decode(parts[0]) else { continue }
            fields[name] = parts.count > 1 ? Self.decode(parts[1]) ?? "" : ""
        }
    }

    static func decode(_ text: Substring) -> String? {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }

    subscript(_ name: String) -> String? { fields[name] }

    /// Whether a name or a value holds a NUL character, which PostgreSQL text cannot hold.
    var holdsNUL: Bool { fields.contains { $0.key.contains("\u{0}") || $0.value.contains("\u{0}") } }

    /// The form a request posted, read up to 64 KB; a NUL character in it is a 400.
    static func read(_ request: Request) async throws -> Form {
        var request = request
        let body = try await request.collectBody(upTo: SessionMiddleware.formLimit)
        let form = Form(String(buffer: body))
        if form.holdsNUL { throw WebError.nulCharacter }
        return form
    }
}
