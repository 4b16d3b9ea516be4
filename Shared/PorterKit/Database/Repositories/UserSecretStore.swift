import Foundation
import Logging
import NIOCore
import PostgresNIO

/// A signed-in user's secrets (provider keys, their Fly token), sealed at rest with the keyring.
/// Each value is bound to its owner and name, so a ciphertext copied to another row does not open.
public protocol UserSecretStore: Sendable {
    func put(userID: Int64, name: String, value: String) async throws
    /// The names of the user's secrets, without opening any.
    func names(userID: Int64) async throws -> Set<String>
    /// One secret, opened; nil when the user has none by that name.
    func value(userID: Int64, name: String) async throws -> String?
}

public struct PostgresUserSecretStore: UserSecretStore {
    let client: PostgresClient
    let keyring: EncryptionKeyring
    let logger: Logger

    public init(client: PostgresClient, keyring: EncryptionKeyring, logger: Logger) {
        self.client = client
        self.keyring = keyring
        self.logger = logger
    }

    /// The additional authenticated data of a user secret.
    static func context(userID: Int64, name: String) -> String { "user_secret:\(userID):\(name)" }

    public func put(userID: Int64, name: String, value: String) async throws {
        let sealed = try keyring.seal(Data(value.utf8), context: Self.context(userID: userID, name: name))
        try await client.query(
            """
            INSERT INTO user_secrets (user_id, name, key_id, sealed, hint)
            VALUES (\(userID), \(name), \(sealed.keyID), \(ByteBuffer(bytes: sealed.combined)), \(StoredSecret.lastCharacters(of: value)))
            ON CONFLICT (user_id, name) DO UPDATE SET key_id = EXCLUDED.key_id, sealed = EXCLUDED.sealed,
                hint = EXCLUDED.hint, updated_at = now()
            """, logger: logger)
    }

    public func names(userID: Int64) async throws -> Set<String> {
        let rows = try await client.query("SELECT name FROM user_secrets WHERE user_id = \(userID)", logger: logger)
        var names = Set<String>()
        for try await name in rows.decode(String.self) { names.insert(name) }
        return names
    }

    public func value(userID: Int64, name: String) async throws -> String? {
        let row = try await client.query(
            "SELECT key_id, sealed FROM user_secrets WHERE user_id = \(userID) AND name = \(name)", logger: logger
        ).collect().first
        guard let (keyID, sealed) = try row?.decode((String, ByteBuffer).self) else { return nil }
        return try keyring.openString(
            SealedValue(keyID: keyID, combined: Array(buffer: sealed)),
            context: Self.context(userID: userID, name: name))
    }
}

/// What may be shown of a stored secret: that it exists, its last characters, and when it was set.
public struct StoredSecret: Sendable, Equatable {
    public var name: String
    public var hint: String?
    public var updatedAt: Date

    /// The last 4 characters of a value long enough that they give nothing useful away.
    public static func lastCharacters(of value: String) -> String? { value.count >= 16 ? String(value.suffix(4)) : nil }
}

extension PostgresUserSecretStore {
    /// The user's secrets as they may be shown, never opened.
    public func stored(userID: Int64) async throws -> [String: StoredSecret] {
        let rows = try await client.query(
            "SELECT name, hint, updated_at FROM user_secrets WHERE user_id = \(userID)", logger: logger)
        var stored: [String: StoredSecret] = [:]
        for try await (name, hint, updatedAt) in rows.decode((String, String?, Date).self) {
            stored[name] = StoredSecret(name: name, hint: hint, updatedAt: updatedAt)
        }
        return stored
    }

    /// Removes one secret; true when there was one.
    @discardableResult
    public func remove(userID: Int64, name: String) async throws -> Bool {
        let rows = try await client.query(
            "DELETE FROM user_secrets WHERE user_id = \(userID) AND name = \(name) RETURNING 1", logger: logger)
        return try await rows.collect().count > 0
    }
}
