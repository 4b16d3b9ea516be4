import Foundation
import Hummingbird

/// Any JSON value, read with the types JSON gives it (a number is never a boolean, nor the reverse).
enum JSONValue: Decodable, Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    /// Whether a string or a key anywhere in the value holds a NUL character.
    var holdsNUL: Bool {
        switch self {
        case .null, .bool, .int, .number: false
        case .string(let text): text.contains("\u{0}")
        case .array(let values): values.contains(where: \.holdsNUL)
        case .object(let fields): fields.contains { $0.key.contains("\u{0}") || $0.value.holdsNUL }
        }
    }

    var string: String? {
        if case .string(let text) = self { text } else { nil }
    }

    /// A request's body as a JSON object, read up to `limit` bytes. Anything else is a 400, and so is
    /// a NUL character in any key or string: PostgreSQL text cannot hold one, so it would only fail later.
    static func object(_ request: Request, limit: Int) async throws -> [String: JSONValue] {
        var request = request
        let body = try await request.collectBody(upTo: limit)
        guard case .object(let object)? = try? JSONDecoder().decode(JSONValue.self, from: Data(buffer: body)) else {
            throw WebError.badRequest("The body must be a JSON object.")
        }
        if JSONValue.object(object).holdsNUL { throw WebError.nulCharacter }
        return object
    }
}
