import Foundation
import Logging
import NIOCore
import PostgresNIO

/// A signed-in person, as a request sees them.
public struct SignedInUser: Sendable, Equatable {
    public var id: Int64
    public var login: String
    public var name: String?
    public var avatarURL: String?
    /// The token every state-changing request of this session must carry.
    public var csrfToken: String
}

/// Server-side sessions: the browser holds a random id, the database only its HMAC.
public struct PostgresSessionStore: Sendable {
    let client: PostgresClient
    let settings: SessionSettings
    let logger: Logger

    public init(client: PostgresClient, settings: SessionSettings, logger: Logger) {
        self.client = client
        self.settings = settings
        self.logger = logger
    }

    /// Starts a session for `userID` and returns the cookie value; the caller revokes the session
    /// the browser came with, so every sign-in gets a new id.
    public func create(userID: Int64) async throws -> String {
        let id = RandomToken.make()
        let seconds = settings.lifetime.components.seconds
        try await client.query(
            """
            INSERT INTO sessions (id_hash, user_id, csrf_token, expires_at)
            VALUES (\(ByteBuffer(bytes: settings.digest(id))), \(userID), \(RandomToken.make()),
                now() + make_interval(secs => \(Double(seconds))))
            """, logger: logger)
        return id
    }

    /// The session's user when the id names a live session: not revoked, not past its absolute
    /// expiry, used within the idle timeout. Use is recorded at most once a minute.
    public func user(sessionID: String) async throws -> SignedInUser? {
        let idle = Double(settings.idleTimeout.components.seconds)
        let rows = try await client.query(
            """
            WITH live AS (
                UPDATE sessions SET last_seen_at = CASE
                    WHEN last_seen_at < now() - interval '1 minute' THEN now() ELSE last_seen_at END
                WHERE id_hash = \(ByteBuffer(bytes: settings.digest(sessionID))) AND revoked_at IS NULL
                    AND expires_at > now() AND last_seen_at > now() - make_interval(secs => \(idle))
                RETURNING user_id, csrf_token)
            SELECT u.id, u.login, u.name, u.avatar_url, live.csrf_token FROM live JOIN users AS u ON u.id = live.user_id
            """, logger: logger)
        for try await (id, login, name, avatar, csrf) in rows.decode((Int64, String, String?, String?, String).self) {
            return SignedInUser(id: id, login: login, name: name, avatarURL: avatar, csrfToken: csrf)
        }
        return nil
    }

    /// Ends the session for good: the id opens nothing afterwards, wherever it was copied to.
    public func revoke(sessionID: String) async throws {
        try await client.query(
            """
            UPDATE sessions SET revoked_at = now()
            WHERE id_hash = \(ByteBuffer(bytes: settings.digest(sessionID))) AND revoked_at IS NULL
            """, logger: logger)
    }
}
