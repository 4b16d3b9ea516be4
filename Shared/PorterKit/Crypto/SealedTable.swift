import Foundation
import NIOCore
import PostgresNIO

/// A table holding values sealed with the keyring, and the statements key rotation reads and rewrites
/// it with. Every sealed column of a row is sealed with the row's one key id.
public enum SealedTable: String, CaseIterable, Sendable {
    /// Provider keys and Fly tokens: `user_secret:<user id>:<name>`.
    case userSecrets = "user_secrets"
    /// GitHub sign-in tokens: `oauth_token:<user id>:access` and `oauth_token:<user id>:refresh`.
    case oauthTokens = "oauth_tokens"
    /// Per-task tokens the dispatcher keeps for a relaunch: `task_token:<task id>`.
    case taskAttempts = "task_attempts"

    /// A row's primary key, in the table's primary-key order.
    public enum RowKey: Sendable, Equatable, CustomStringConvertible {
        case userSecret(userID: Int64, name: String)
        case oauthToken(userID: Int64)
        case taskAttempt(taskID: UUID, number: Int)

        /// Names the row without any of its values (a secret's name is no secret).
        public var description: String {
            switch self {
            case .userSecret(let user, let name): "user \(user) secret \(name)"
            case .oauthToken(let user): "user \(user)"
            case .taskAttempt(let task, let number): "task \(task.uuidString.lowercased()) attempt \(number)"
            }
        }

        /// The additional authenticated data of each sealed column, in `SealedRow.values` order.
        var contexts: [String] {
            switch self {
            case .userSecret(let user, let name): ["user_secret:\(user):\(name)"]
            case .oauthToken(let user): ["oauth_token:\(user):access", "oauth_token:\(user):refresh"]
            case .taskAttempt(let task, _): ["task_token:\(task.uuidString.lowercased())"]
            }
        }
    }

    /// One row as read: its key, its key id, and its sealed columns (nil where the column is NULL).
    struct SealedRow: Sendable {
        var key: RowKey
        var keyID: String
        var values: [[UInt8]?]
    }

    /// At most `limit` rows after `cursor`, in primary-key order, whose values are not under `keyID`.
    func batch(notUnder keyID: String, after cursor: RowKey?, limit: Int) -> PostgresQuery {
        switch (self, cursor) {
        case (.userSecrets, .userSecret(let user, let name)):
            """
            SELECT user_id, name, key_id, sealed FROM user_secrets
            WHERE key_id <> \(keyID) AND (user_id, name) > (\(user), \(name))
            ORDER BY user_id, name LIMIT \(limit)
            """
        case (.userSecrets, _):
            """
            SELECT user_id, name, key_id, sealed FROM user_secrets WHERE key_id <> \(keyID)
            ORDER BY user_id, name LIMIT \(limit)
            """
        case (.oauthTokens, .oauthToken(let user)):
            """
            SELECT user_id, key_id, sealed_access_token, sealed_refresh_token FROM oauth_tokens
            WHERE key_id <> \(keyID) AND user_id > \(user) ORDER BY user_id LIMIT \(limit)
            """
        case (.oauthTokens, _):
            """
            SELECT user_id, key_id, sealed_access_token, sealed_refresh_token FROM oauth_tokens
            WHERE key_id <> \(keyID) ORDER BY user_id LIMIT \(limit)
            """
        case (.taskAttempts, .taskAttempt(let task, let number)):
            """
            SELECT task_id, number, token_key_id, sealed_token FROM task_attempts
            WHERE sealed_token IS NOT NULL AND token_key_id <> \(keyID) AND (task_id, number) > (\(task), \(number))
            ORDER BY task_id, number LIMIT \(limit)
            """
        case (.taskAttempts, _):
            """
            SELECT task_id, number, token_key_id, sealed_token FROM task_attempts
            WHERE sealed_token IS NOT NULL AND token_key_id <> \(keyID)
            ORDER BY task_id, number LIMIT \(limit)
            """
        }
    }

    func row(from row: PostgresRow) throws -> SealedRow {
        switch self {
        case .userSecrets:
            let (user, name, keyID, sealed) = try row.decode((Int64, String, String, ByteBuffer).self)
            return SealedRow(key: .userSecret(userID: user, name: name), keyID: keyID, values: [Array(buffer: sealed)])
        case .oauthTokens:
            let (user, keyID, access, refresh) = try row.decode((Int64, String, ByteBuffer, ByteBuffer?).self)
            return SealedRow(
                key: .oauthToken(userID: user), keyID: keyID,
                values: [Array(buffer: access), refresh.map { Array(buffer: $0) }])
        case .taskAttempts:
            let (task, number, keyID, sealed) = try row.decode((UUID, Int, String, ByteBuffer).self)
            return SealedRow(
                key: .taskAttempt(taskID: task, number: number), keyID: keyID, values: [Array(buffer: sealed)])
        }
    }

    /// Replaces the row's values with `values` under `keyID` only if the row still holds exactly what
    /// was read: a value a service wrote meanwhile is never overwritten. Returns a row when it was.
    func replace(_ row: SealedRow, keyID: String, values: [[UInt8]?]) -> PostgresQuery {
        let old = row.values.map { $0.map { ByteBuffer(bytes: $0) } }
        let new = values.map { $0.map { ByteBuffer(bytes: $0) } }
        switch row.key {
        case .userSecret(let user, let name):
            return """
                UPDATE user_secrets SET key_id = \(keyID), sealed = \(new[0])
                WHERE user_id = \(user) AND name = \(name) AND key_id = \(row.keyID) AND sealed = \(old[0])
                RETURNING 1
                """
        case .oauthToken(let user):
            return """
                UPDATE oauth_tokens SET key_id = \(keyID), sealed_access_token = \(new[0]),
                    sealed_refresh_token = \(new[1])
                WHERE user_id = \(user) AND key_id = \(row.keyID) AND sealed_access_token = \(old[0])
                    AND sealed_refresh_token IS NOT DISTINCT FROM \(old[1])
                RETURNING 1
                """
        case .taskAttempt(let task, let number):
            return """
                UPDATE task_attempts SET token_key_id = \(keyID), sealed_token = \(new[0])
                WHERE task_id = \(task) AND number = \(number) AND token_key_id = \(row.keyID)
                    AND sealed_token = \(old[0])
                RETURNING 1
                """
        }
    }

    /// How many of the table's values are not under `keyID`.
    func remaining(notUnder keyID: String) -> PostgresQuery {
        switch self {
        case .userSecrets: "SELECT count(*) FROM user_secrets WHERE key_id <> \(keyID)"
        case .oauthTokens: "SELECT count(*) FROM oauth_tokens WHERE key_id <> \(keyID)"
        case .taskAttempts:
            "SELECT count(*) FROM task_attempts WHERE sealed_token IS NOT NULL AND token_key_id <> \(keyID)"
        }
    }
}
