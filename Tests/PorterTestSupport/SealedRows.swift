import Foundation
import Logging
import NIOCore
import PorterKit
import PostgresNIO

/// Rows in every sealed table, written as the services write them, and readers that open them all.
public enum SealedRows {
    /// A keyring of 32-byte keys filled with one byte each, first key first.
    public static func keyring(_ keys: [(id: String, byte: UInt8)]) -> EncryptionKeyring {
        try! EncryptionKeyring(keys: keys.map { ($0.id, Array(repeating: $0.byte, count: 32)) })
    }

    /// The same keyring as `PORTER_ENCRYPTION_KEYS` text.
    public static func environmentValue(_ keys: [(id: String, byte: UInt8)]) -> String {
        keys.map { "\($0.id):\(Data(repeating: $0.byte, count: 32).base64EncodedString())" }.joined(separator: ",")
    }

    /// For each user in `users`: an account, two secrets, OAuth tokens (the first user's without a
    /// refresh token) and a task whose attempt keeps its sealed token, all sealed with `keyring`.
    /// Returns every value written, by `SealedRows.read`'s names.
    @discardableResult
    public static func seed(
        _ client: PostgresClient, keyring: EncryptionKeyring, users: ClosedRange<Int64>
    ) async throws -> [String: String] {
        let logger = TestDatabase.logger
        let secrets = PostgresUserSecretStore(client: client, keyring: keyring, logger: logger)
        var written: [String: String] = [:]
        for user in users {
            try await client.query("INSERT INTO users (id, login) VALUES (\(user), \("user\(user)"))", logger: logger)
            for name in ["ANTHROPIC_API_KEY", "FLY_API_TOKEN"] {
                let value = "\(name.lowercased())-of-\(user)"
                try await secrets.put(userID: user, name: name, value: value)
                written["user \(user) secret \(name)"] = value
            }
            let access = "gho_access\(user)"
            let refresh = user == users.lowerBound ? nil : "ghr_refresh\(user)"
            let sealedAccess = try keyring.seal(Data(access.utf8), context: "oauth_token:\(user):access")
            let sealedRefresh = try refresh.map {
                try keyring.seal(Data($0.utf8), context: "oauth_token:\(user):refresh")
            }
            try await client.query(
                """
                INSERT INTO oauth_tokens (user_id, key_id, sealed_access_token, sealed_refresh_token)
                VALUES (\(user), \(sealedAccess.keyID), \(ByteBuffer(bytes: sealedAccess.combined)),
                    \(sealedRefresh.map { ByteBuffer(bytes: $0.combined) }))
                """, logger: logger)
            written["user \(user) access"] = access
            if let refresh { written["user \(user) refresh"] = refresh }
            let task = try await PostgresTaskRepository(client: client, logger: logger).create(
                NewTask(
                    issue: IssueReference(
                        installationID: 1, repositoryID: 42, repositoryFullName: "octo/repo", number: Int(user)),
                    requester: Requester(id: user, login: "user\(user)"),
                    request: TaskRequest(agent: .codex, instructions: "x")))
            let token = TaskToken.generate()
            _ = try await PostgresDispatchRepository(client: client, logger: logger).beginAttempt(
                taskID: task.id, runtime: .fly, flyApp: "app", inRequesterApp: false, token: token,
                sealedToken: keyring.seal(
                    Data(token.value.utf8), context: "task_token:\(task.id.uuidString.lowercased())"),
                expiresAt: Date().addingTimeInterval(3600))
            written["task \(task.id.uuidString.lowercased()) attempt 1"] = token.value
        }
        return written
    }

    /// Every sealed value in the database, opened with `keyring` and its row's context, by row (and
    /// `access` / `refresh` for OAuth tokens). Throws when one does not open.
    public static func read(_ client: PostgresClient, keyring: EncryptionKeyring) async throws -> [String: String] {
        let logger = TestDatabase.logger
        var values: [String: String] = [:]
        for row in try await client.query("SELECT user_id, name, key_id, sealed FROM user_secrets", logger: logger)
            .collect()
        {
            let (user, name, keyID, sealed) = try row.decode((Int64, String, String, ByteBuffer).self)
            values["user \(user) secret \(name)"] = try keyring.openString(
                SealedValue(keyID: keyID, combined: Array(buffer: sealed)), context: "user_secret:\(user):\(name)")
        }
        for row in try await client.query(
            "SELECT user_id, key_id, sealed_access_token, sealed_refresh_token FROM oauth_tokens", logger: logger
        ).collect() {
            let (user, keyID, access, refresh) = try row.decode((Int64, String, ByteBuffer, ByteBuffer?).self)
            values["user \(user) access"] = try keyring.openString(
                SealedValue(keyID: keyID, combined: Array(buffer: access)), context: "oauth_token:\(user):access")
            if let refresh {
                values["user \(user) refresh"] = try keyring.openString(
                    SealedValue(keyID: keyID, combined: Array(buffer: refresh)), context: "oauth_token:\(user):refresh")
            }
        }
        for row in try await client.query(
            "SELECT task_id, number, token_key_id, sealed_token FROM task_attempts WHERE sealed_token IS NOT NULL",
            logger: logger
        ).collect() {
            let (task, number, keyID, sealed) = try row.decode((UUID, Int, String, ByteBuffer).self)
            let id = task.uuidString.lowercased()
            values["task \(id) attempt \(number)"] = try keyring.openString(
                SealedValue(keyID: keyID, combined: Array(buffer: sealed)), context: "task_token:\(id)")
        }
        return values
    }

    /// How many rows of each table are under each key id, as `table:key_id`.
    public static func keyIDs(_ client: PostgresClient) async throws -> [String: Int] {
        let rows = try await client.query(
            """
            SELECT 'user_secrets:' || key_id, count(*) FROM user_secrets GROUP BY key_id
            UNION ALL SELECT 'oauth_tokens:' || key_id, count(*) FROM oauth_tokens GROUP BY key_id
            UNION ALL SELECT 'task_attempts:' || token_key_id, count(*) FROM task_attempts
                WHERE sealed_token IS NOT NULL GROUP BY token_key_id
            """, logger: TestDatabase.logger
        ).collect()
        var counts: [String: Int] = [:]
        for row in rows {
            let (name, count) = try row.decode((String, Int).self)
            counts[name] = count
        }
        return counts
    }

    /// Every sealed byte string in the database, to tell whether anything was rewritten.
    public static func snapshot(_ client: PostgresClient) async throws -> [String] {
        try await client.query(
            """
            SELECT key_id || encode(sealed, 'hex') FROM user_secrets
            UNION ALL SELECT key_id || encode(sealed_access_token, 'hex') || coalesce(encode(sealed_refresh_token, 'hex'), '')
                FROM oauth_tokens
            UNION ALL SELECT token_key_id || encode(sealed_token, 'hex') FROM task_attempts WHERE sealed_token IS NOT NULL
            """, logger: TestDatabase.logger
        ).collect().map { try $0.decode(String.self) }.sorted()
    }
}
