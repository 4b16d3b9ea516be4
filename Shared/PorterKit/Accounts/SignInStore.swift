import Crypto
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// A sign-in begun in this browser: what the GitHub redirect must carry back.
public struct PendingSignIn: Sendable {
    /// Sent to GitHub as `state`; GitHub echoes it to the callback.
    public let state: String
    /// Kept in a cookie of the browser that began the sign-in; the callback must come with it.
    public let binding: String
    /// PKCE: GitHub gets its SHA-256, the code exchange the value itself.
    public let codeVerifier: String
}

/// Sign-ins in progress, each taken at most once and only by the browser that began it, within ten
/// minutes. A forged, replayed or stolen `state` opens nothing.
public struct PostgresSignInStore: Sendable {
    public static let lifetime: Duration = .seconds(600)

    let client: PostgresClient
    let settings: SessionSettings
    let logger: Logger

    public init(client: PostgresClient, settings: SessionSettings, logger: Logger) {
        self.client = client
        self.settings = settings
        self.logger = logger
    }

    public func begin(returnTo: String?) async throws -> PendingSignIn {
        let pending = PendingSignIn(
            state: RandomToken.make(), binding: RandomToken.make(), codeVerifier: RandomToken.make())
        let lifetime = Double(Self.lifetime.components.seconds)
        try await client.withTransaction(logger: logger) { connection in
            // Abandoned sign-ins go as new ones begin; the table never holds more than ten minutes' worth.
            try await connection.query(
                "DELETE FROM oauth_logins WHERE created_at < now() - make_interval(secs => \(lifetime))",
                logger: logger)
            try await connection.query(
                """
                INSERT INTO oauth_logins (state_hash, binding_hash, code_verifier, return_to)
                VALUES (\(Self.hash(pending.state)), \(ByteBuffer(bytes: settings.digest(pending.binding))),
                    \(pending.codeVerifier), \(returnTo))
                """, logger: logger)
        }
        return pending
    }

    /// Takes the sign-in `state` names when `binding` is the cookie it was begun with; nil otherwise.
    /// The row goes either way, so a state is never good twice.
    public func finish(state: String, binding: String?) async throws -> (codeVerifier: String, returnTo: String?)? {
        let lifetime = Double(Self.lifetime.components.seconds)
        let rows = try await client.query(
            """
            DELETE FROM oauth_logins WHERE state_hash = \(Self.hash(state))
            RETURNING binding_hash, code_verifier, return_to, created_at > now() - make_interval(secs => \(lifetime))
            """, logger: logger)
        for try await (stored, verifier, returnTo, fresh) in rows.decode((ByteBuffer, String, String?, Bool).self) {
            guard fresh, let binding, RandomToken.equal(Array(buffer: stored), settings.digest(binding)) else {
                return nil
            }
            return (verifier, returnTo)
        }
        return nil
    }

    static func hash(_ state: String) -> ByteBuffer { ByteBuffer(bytes: SHA256.hash(data: Data(state.utf8))) }
}
