import Foundation
import Logging
import NIOCore
import PostgresNIO

/// A GitHub user as Porter keeps them; the id is GitHub's, the one tasks are keyed by.
public struct UserProfile: Sendable, Equatable {
    public var id: Int64
    public var login: String
    public var name: String?
    public var avatarURL: String?

    public init(id: Int64, login: String, name: String? = nil, avatarURL: String? = nil) {
        self.id = id
        self.login = login
        self.name = name
        self.avatarURL = avatarURL
    }
}

/// A user's GitHub token and what renews it, opened.
public struct UserToken: Sendable, CustomStringConvertible {
    public var accessToken: Secret<String>
    public var expiresAt: Date?
    public var refreshToken: Secret<String>?
    public var refreshExpiresAt: Date?

    public init(
        accessToken: Secret<String>, expiresAt: Date?, refreshToken: Secret<String>?, refreshExpiresAt: Date?
    ) {
        self.accessToken = accessToken
        self.expiresAt = expiresAt
        self.refreshToken = refreshToken
        self.refreshExpiresAt = refreshExpiresAt
    }

    /// Expired, or about to: renewed a minute early so a call never starts with a dying token.
    public func isExpired(at now: Date = Date()) -> Bool { expiresAt.map { $0 < now.addingTimeInterval(60) } ?? false }

    public var description: String { "UserToken(expires: \(expiresAt.map { "\($0)" } ?? "never"))" }
}

/// Users, their GitHub tokens (sealed, bound to the user) and their settings.
public struct PostgresAccountStore: Sendable {
    let client: PostgresClient
    let keyring: EncryptionKeyring
    let logger: Logger

    public init(client: PostgresClient, keyring: EncryptionKeyring, logger: Logger) {
        self.client = client
        self.keyring = keyring
        self.logger = logger
    }

    static func tokenContext(userID: Int64, _ part: String) -> String { "oauth_token:\(userID):\(part)" }

    /// Records a sign-in: the user (created or brought up to date) and their token, in one transaction.
    public func signIn(_ profile: UserProfile, token: UserToken) async throws {
        try await client.withTransaction(logger: logger) { connection in
            // GitHub logins are reused after a rename; the id is who a person is.
            try await connection.query(
                """
                UPDATE users SET login = login || '~' || id::text
                WHERE lower(login) = lower(\(profile.login)) AND id <> \(profile.id)
                """, logger: logger)
            try await connection.query(
                """
                INSERT INTO users (id, login, name, avatar_url, last_sign_in_at)
                VALUES (\(profile.id), \(profile.login), \(profile.name), \(profile.avatarURL), now())
                ON CONFLICT (id) DO UPDATE SET login = EXCLUDED.login, name = EXCLUDED.name,
                    avatar_url = EXCLUDED.avatar_url, last_sign_in_at = now(), updated_at = now()
                """, logger: logger)
            try await store(token, userID: profile.id, on: connection)
        }
    }

    /// Replaces the user's token, after a refresh.
    public func store(_ token: UserToken, userID: Int64) async throws {
        try await client.withConnection { try await store(token, userID: userID, on: $0) }
    }

    func store(_ token: UserToken, userID: Int64, on connection: PostgresConnection) async throws {
        let access = try keyring.seal(
            Data(token.accessToken.value.utf8), context: Self.tokenContext(userID: userID, "access"))
        let refresh = try token.refreshToken.map {
            ByteBuffer(
                bytes: try keyring.seal(Data($0.value.utf8), context: Self.tokenContext(userID: userID, "refresh"))
                    .combined)
        }
        try await connection.query(
            """
            INSERT INTO oauth_tokens (user_id, key_id, sealed_access_token, sealed_refresh_token, expires_at,
                refresh_expires_at)
            VALUES (\(userID), \(access.keyID), \(ByteBuffer(bytes: access.combined)), \(refresh), \(token.expiresAt),
                \(token.refreshExpiresAt))
            ON CONFLICT (user_id) DO UPDATE SET key_id = EXCLUDED.key_id,
                sealed_access_token = EXCLUDED.sealed_access_token, sealed_refresh_token = EXCLUDED.sealed_refresh_token,
                expires_at = EXCLUDED.expires_at, refresh_expires_at = EXCLUDED.refresh_expires_at, updated_at = now()
            """, logger: logger)
    }

    /// The user's GitHub token, opened; nil after sign-out or before any sign-in.
    public func token(userID: Int64) async throws -> UserToken? {
        let rows = try await client.query(
            """
            SELECT key_id, sealed_access_token, sealed_refresh_token, expires_at, refresh_expires_at
            FROM oauth_tokens WHERE user_id = \(userID)
            """, logger: logger)
        for try await (keyID, access, refresh, expiresAt, refreshExpiresAt) in rows.decode(
            (String, ByteBuffer, ByteBuffer?, Date?, Date?).self)
        {
            let accessToken = try keyring.openString(
                SealedValue(keyID: keyID, combined: Array(buffer: access)),
                context: Self.tokenContext(userID: userID, "access"))
            let refreshToken = try refresh.map {
                try keyring.openString(
                    SealedValue(keyID: keyID, combined: Array(buffer: $0)),
                    context: Self.tokenContext(userID: userID, "refresh"))
            }
            return UserToken(
                accessToken: Secret(accessToken), expiresAt: expiresAt, refreshToken: refreshToken.map(Secret.init),
                refreshExpiresAt: refreshExpiresAt)
        }
        return nil
    }

    /// Forgets the user's GitHub token (sign-out); Porter can act as them no longer.
    public func forgetToken(userID: Int64) async throws {
        try await client.query("DELETE FROM oauth_tokens WHERE user_id = \(userID)", logger: logger)
    }

    public func profile(userID: Int64) async throws -> UserProfile? {
        let rows = try await client.query(
            "SELECT id, login, name, avatar_url FROM users WHERE id = \(userID)", logger: logger)
        for try await (id, login, name, avatar) in rows.decode((Int64, String, String?, String?).self) {
            return UserProfile(id: id, login: login, name: name, avatarURL: avatar)
        }
        return nil
    }
}
