import Foundation
import HTTPTypes
import Hummingbird

extension FaultInjector {
    /// A real answer sent in another shape, as a newer (or older) GitHub or Fly might send it: keys
    /// removed, keys set to another value or type, keys added. The request takes effect as usual and
    /// keeps its status; only the JSON body changes. Paths are dotted (`base.sha`); in a list answer
    /// they apply to every element, and `apps.id` reaches into a list held by a key.
    public struct Reshape: Sendable, Codable, Equatable {
        /// Matches requests whose method is this (any when nil).
        public var method: String?
        /// Matches request paths starting with this (any when nil).
        public var pathPrefix: String?
        /// Keys to remove.
        public var remove: [String]
        /// Keys to set, each to a JSON value written as text (`"\"seven\""`, `"null"`, `"{\"x\":1}"`);
        /// a key that is not there is added.
        public var set: [String: String]
        /// How many matching answers get this shape; nil for every one.
        public var remaining: Int?

        public init(
            method: String? = nil, pathPrefix: String? = nil, remove: [String] = [], set: [String: String] = [:],
            remaining: Int? = nil
        ) {
            self.method = method
            self.pathPrefix = pathPrefix
            self.remove = remove
            self.set = set
            self.remaining = remaining
        }

        func matches(method: String, path: String) -> Bool {
            (self.method.map { $0.uppercased() == method } ?? true)
                && (pathPrefix.map { path.hasPrefix($0) } ?? true) && (remaining.map { $0 > 0 } ?? true)
        }

        /// `response` with its JSON body reshaped; a body that is no JSON goes out as it was.
        func apply(to response: Response) async throws -> Response {
            let collector = BodyCollector()
            try await response.body.write(collector)
            guard var json = try? JSONSerialization.jsonObject(with: Data(buffer: collector.buffer)) else {
                var unchanged = response
                unchanged.body = ResponseBody(byteBuffer: collector.buffer)
                return unchanged
            }
            for path in remove { json = Self.edit(json, at: path.split(separator: ".").map(String.init), to: nil) }
            for (path, text) in set.sorted(by: { $0.key < $1.key }) {
                let value = try JSONSerialization.jsonObject(with: Data(text.utf8), options: .fragmentsAllowed)
                json = Self.edit(json, at: path.split(separator: ".").map(String.init), to: value)
            }
            let data = try JSONSerialization.data(withJSONObject: json, options: [.fragmentsAllowed])
            var reshaped = response
            reshaped.headers[.contentLength] = nil
            reshaped.body = ResponseBody(byteBuffer: ByteBuffer(bytes: data))
            return reshaped
        }

        /// `json` with the value at `path` replaced by `value`, or removed when `value` is nil.
        static func edit(_ json: Any, at path: [String], to value: Any?) -> Any {
            if let list = json as? [Any] { return list.map { edit($0, at: path, to: value) } }
            guard var object = json as? [String: Any], let key = path.first else { return json }
            if path.count == 1 {
                object[key] = value
            } else if let inner = object[key] {
                object[key] = edit(inner, at: Array(path.dropFirst()), to: value)
            }
            return object
        }
    }
}

/// Gathers a response body written in parts.
final class BodyCollector: ResponseBodyWriter {
    var buffer = ByteBuffer()

    func write(_ part: ByteBuffer) async throws {
        var part = part
        buffer.writeBuffer(&part)
    }

    func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
