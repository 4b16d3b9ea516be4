import Foundation

/// GitHub webhook payloads kept in the repository under `Tests/Fixtures/github-webhooks/`: our own
/// documents (organization `acme`, repository `widgets`) in the shape GitHub sends each event, so no
/// suite depends on a folder outside the clone. A missing file fails the test that asked for it.
public enum Fixtures {
    public static let webhooksDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/github-webhooks")

    /// A payload as a mutable JSON object, e.g. `webhook("issue_comment.created.with-installation")`.
    public static func webhook(_ name: String) throws -> JSONObject {
        let file = webhooksDirectory.appendingPathComponent("\(name).payload.json")
        guard let data = FileManager.default.contents(atPath: file.path) else {
            throw TestSetupError("the webhook fixture \(file.path) is missing: it belongs in the repository")
        }
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw TestSetupError("\(file.path) is not a JSON object")
        }
        return JSONObject(object)
    }
}

/// A JSON object that tests vary by key path before sending it.
public struct JSONObject: @unchecked Sendable {
    public var value: [String: Any]

    public init(_ value: [String: Any]) { self.value = value }

    /// Sets (or with nil removes) the value at a dotted path such as `comment.user.type`.
    public mutating func set(_ path: String, _ newValue: Any?) {
        value = Self.setting(value, Array(path.split(separator: ".").map(String.init)), newValue)
    }

    public func setting(_ path: String, _ newValue: Any?) -> JSONObject {
        var copy = self
        copy.set(path, newValue)
        return copy
    }

    public func get(_ path: String) -> Any? {
        var current: Any? = value
        for key in path.split(separator: ".") { current = (current as? [String: Any])?[String(key)] }
        return current
    }

    public var data: Data { (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])) ?? Data() }

    private static func setting(_ object: [String: Any], _ keys: [String], _ newValue: Any?) -> [String: Any] {
        var object = object
        guard let first = keys.first else { return object }
        if keys.count == 1 {
            object[first] = newValue
        } else {
            object[first] = setting(object[first] as? [String: Any] ?? [:], Array(keys.dropFirst()), newValue)
        }
        return object
    }
}
