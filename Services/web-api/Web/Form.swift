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

    /// The form a request posted, read up to 64 KB.
    static func read(_ request: Request) async throws -> Form {
        var request = request
        let body = try await request.collectBody(upTo: SessionMiddleware.formLimit)
        return Form(String(buffer: body))
    }
}
