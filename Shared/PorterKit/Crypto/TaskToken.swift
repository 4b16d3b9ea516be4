import Crypto
import Foundation

/// The per-task token a worker presents to callback-receiver: random, shown once (in the Machine's
/// environment), stored only as its SHA-256, compared in constant time.
public struct TaskToken: Sendable, Equatable, CustomStringConvertible {
    /// The token text; `ptk_` makes it recognisable to the redactor.
    public let value: String

    public static func generate() -> TaskToken {
        TaskToken(value: "ptk_" + RandomToken.make())
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
        RandomToken.equal(Array(SHA256.hash(data: Data(presented.utf8))), storedHash)
    }

    public var description: String { "TaskToken(<redacted>)" }
}
