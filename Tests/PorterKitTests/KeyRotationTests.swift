import Foundation
import NIOCore
import PorterKit
import PorterTestSupport
import PostgresNIO
import Testing

/// `rotate-keys`' work: every sealed value ends under the first key, safely beside running services.
@Suite struct KeyRotationTests {
    static let old = SealedRows.keyring([("old", 1)])
    static let rotated = SealedRows.keyring([("new", 2), ("old", 1)])
    static let newOnly = SealedRows.keyring([("new", 2)])

    struct Stop: Error {}

    static func rotation(
        _ client: PostgresClient, keyring: EncryptionKeyring = rotated, batchSize: Int = 500
    )
        -> KeyRotation
    {
        KeyRotation(client: client, keyring: keyring, batchSize: batchSize, logger: TestDatabase.logger)
    }

    @Test func rowsUnderAnOldKeyEndUnderTheNewOneAndStillOpenWithTheirContexts() async throws {
        try await TestDatabase.withClient { client, _ in
            let written = try await SealedRows.seed(client, keyring: Self.old, users: 1...3)
            let report = try await Self.rotation(client).run()

            #expect(report.isComplete)
            #expect(report.unreadable.isEmpty)
            #expect(report.tables.map(\.reencrypted) == [6, 3, 3])
            #expect(
                try await SealedRows.keyIDs(client) == [
                    "user_secrets:new": 6, "oauth_tokens:new": 3, "task_attempts:new": 3,
                ])
            // The old key is gone from this keyring: everything opens under the new one, each value
            // still bound to its own row and purpose.
            #expect(try await SealedRows.read(client, keyring: Self.newOnly) == written)
            #expect(report.summary.last == "done: every sealed value is under key 'new'; older keys may be removed")
        }
    }

    @Test func aRunInterruptedAfterOneBatchIsFinishedByTheNextRun() async throws {
        try await TestDatabase.withClient { client, _ in
            let written = try await SealedRows.seed(client, keyring: Self.old, users: 1...3)
            await #expect(throws: Stop.self) {
                _ = try await Self.rotation(client, batchSize: 4).run { _, _ in throw Stop() }
            }
            // The first batch committed; nothing after it ran.
            #expect(
                try await SealedRows.keyIDs(client) == [
                    "user_secrets:new": 4, "user_secrets:old": 2, "oauth_tokens:old": 3, "task_attempts:old": 3,
                ])

            let report = try await Self.rotation(client, batchSize: 4).run()
            #expect(report.isComplete)
            #expect(report.tables.map(\.reencrypted) == [2, 3, 3])
            #expect(try await SealedRows.read(client, keyring: Self.newOnly) == written)
        }
    }

    /// A service rewrites a secret after the rotation read it and before its rewrite: with the new key
    /// (a service already deployed with it) or the old one (a replica not yet redeployed).
    @Test(arguments: ["new", "old"])
    func aValueAServiceWritesDuringTheRotationIsNeverOverwritten(writerKey: String) async throws {
        try await TestDatabase.withClient { client, url in
            try await SealedRows.seed(client, keyring: Self.old, users: 1...2)
            let writer = writerKey == "new" ? Self.rotated : Self.old
            let sealed = try writer.seal(Data("sk-ant-changed".utf8), context: "user_secret:1:ANTHROPIC_API_KEY")
            try await TestDatabase.withConnection(url) { connection in
                // The service's write holds the row until it commits, so the rotation reads the old
                // value and then waits to rewrite it: exactly the race compare-and-swap is for.
                try await connection.query("BEGIN", logger: TestDatabase.logger)
                try await connection.query(
                    """
                    UPDATE user_secrets SET key_id = \(sealed.keyID), sealed = \(ByteBuffer(bytes: sealed.combined))
                    WHERE user_id = 1 AND name = 'ANTHROPIC_API_KEY'
                    """, logger: TestDatabase.logger)
                let rotation = Task { try await Self.rotation(client).run() }
                try await Self.waitForALockWait(client)
                try await connection.query("COMMIT", logger: TestDatabase.logger)
                let report = try await rotation.value
                #expect(report.isComplete)
            }
            let values = try await SealedRows.read(client, keyring: Self.newOnly)
            #expect(values["user 1 secret ANTHROPIC_API_KEY"] == "sk-ant-changed")
            #expect(values["user 2 secret ANTHROPIC_API_KEY"] == "anthropic_api_key-of-2")
            #expect(try await SealedRows.keyIDs(client)["user_secrets:new"] == 4)
        }
    }

    static func waitForALockWait(_ client: PostgresClient) async throws {
        for _ in 0..<500 {
            let waiting =
                try await client.query(
                    """
                    SELECT count(*) FROM pg_stat_activity
                    WHERE datname = current_database() AND wait_event_type = 'Lock'
                    """
                ).collect().first?.decode(Int.self) ?? 0
            if waiting > 0 { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("the rotation never waited for the service's write")
    }

    @Test func aValueNoConfiguredKeyOpensIsReportedLeftAsItIsAndFailsTheRun() async throws {
        try await TestDatabase.withClient { client, _ in
            let written = try await SealedRows.seed(client, keyring: Self.old, users: 1...2)
            // One secret under a key nobody configured any more, one moved to another user's row.
            try await PostgresUserSecretStore(
                client: client, keyring: SealedRows.keyring([("lost", 9)]), logger: TestDatabase.logger
            ).put(userID: 1, name: "OPENAI_API_KEY", value: "sk-lost-value")
            try await client.query(
                """
                UPDATE user_secrets SET sealed = (SELECT sealed FROM user_secrets WHERE user_id = 1 AND name = 'FLY_API_TOKEN')
                WHERE user_id = 2 AND name = 'FLY_API_TOKEN'
                """)
            let before = try await SealedRows.snapshot(client)

            let report = try await Self.rotation(client).run()
            #expect(!report.isComplete)
            #expect(
                report.unreadable.map(\.description) == [
                    "user_secrets user 1 secret OPENAI_API_KEY: no configured encryption key has id 'lost'",
                    "user_secrets user 2 secret FLY_API_TOKEN: value sealed with key 'old' failed authentication",
                ])
            #expect(report.tables.map(\.reencrypted) == [3, 2, 2])
            #expect(report.summary.contains { $0.hasPrefix("2 value(s) open with no configured key") })
            #expect(!report.summary.joined().contains("sk-lost-value"))
            // The two are untouched, bytes and key ids alike; everything else moved.
            let after = try await SealedRows.snapshot(client)
            #expect(Set(after).intersection(before).count == 2)
            #expect(
                try await SealedRows.keyIDs(client) == [
                    "user_secrets:new": 3, "user_secrets:old": 1, "user_secrets:lost": 1, "oauth_tokens:new": 2,
                    "task_attempts:new": 2,
                ])
            let secrets = PostgresUserSecretStore(client: client, keyring: Self.newOnly, logger: TestDatabase.logger)
            for (user, name) in [(Int64(1), "ANTHROPIC_API_KEY"), (1, "FLY_API_TOKEN"), (2, "ANTHROPIC_API_KEY")] {
                #expect(try await secrets.value(userID: user, name: name) == written["user \(user) secret \(name)"])
            }
        }
    }

    @Test func aSecondRunHasNothingToDoAndRewritesNothing() async throws {
        try await TestDatabase.withClient { client, _ in
            try await SealedRows.seed(client, keyring: Self.old, users: 1...2)
            _ = try await Self.rotation(client).run()
            let before = try await SealedRows.snapshot(client)

            let again = try await Self.rotation(client).run()
            #expect(again.isComplete)
            #expect(again.reencrypted == 0)
            #expect(again.summary.last == "nothing to do: every sealed value is already under key 'new'")
            #expect(try await SealedRows.snapshot(client) == before)
        }
    }

    @Test func aKeyRenamedInTheKeyringStillOpensWhatItSealed() async throws {
        try await TestDatabase.withClient { client, _ in
            let written = try await SealedRows.seed(client, keyring: Self.old, users: 1...1)
            // The operator renamed `old` to `2023`: same bytes, another id.
            let report = try await Self.rotation(client, keyring: SealedRows.keyring([("new", 2), ("2023", 1)])).run()
            #expect(report.isComplete)
            #expect(try await SealedRows.read(client, keyring: Self.newOnly) == written)
        }
    }
}
