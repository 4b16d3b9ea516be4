import Crypto
import Foundation

/// The per-task token a worker presents to callback-receiver: random, shown once (in the Machine's
/// environment), stored only as its SHA-256, compared in constant time.
public struct TaskToken: Sendable, Equatable, CustomStringConvertible {
    /// The token text; `ptk_` makes it recognisable to the redactor.
    public let value: String

    public static func generate() -> TaskToken {
        let bytes = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        let text = bytes.base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        return TaskToken(value: "ptk_" + text)
    }

    public init(value: String) { self.value = value }

    /// How long after the task's deadline the token still carries a report: a worker stopped at the
    /// deadline pushes and reports after it. Fetching the spec, heartbeats and progress end at the
    /// deadline itself.
    public static let reportGrace: TimeInterval = 15 * 60

    /// What the database stores.
    public var hash: [UInt8] { Array(SHA256.hash(data: Data(value.utf8))) }

    /// True when `presented` is the token whose hash is `stored`, compared in constant time.
    public static func matches(_ presented: String, storedHash: [UInt8]) -> Bool {
        let candidate = Array(SHA256.hash(data: Data(presented.utf8)))
        guard candidate.count == storedHash.count else { return false }
        return zip(candidate, storedHash).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    public var description: String { "TaskToken(<redacted>)" }
}
