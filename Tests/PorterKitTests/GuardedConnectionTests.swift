import Foundation
import PorterKit
import PorterTestSupport
import PostgresNIO
import Testing

/// Transactions that fail instead of hanging when their connection closes, and only then.
@Suite(.timeLimit(.minutes(2))) struct GuardedConnectionTests {
    @Test func aSlowTransactionOnAHealthyConnectionIsNeverCutShort() async throws {
        try await TestDatabase.withClient { client, _ in
            let value = try await client.withGuardedTransaction(logger: TestDatabase.logger, grace: .milliseconds(100))
            {
                connection in
                _ = try await connection.query("SELECT pg_sleep(1.5)", logger: TestDatabase.logger).collect()
                return try await connection.query("SELECT 42", logger: TestDatabase.logger).collect().first!.decode(
                    Int.self)
            }
            #expect(value == 42)
        }
    }

    @Test func aTransactionWhoseBackendIsTerminatedFailsAndTheNextOneWorks() async throws {
        try await TestDatabase.withClient { client, url in
            let started = ContinuousClock.now
            await #expect(throws: (any Error).self) {
                try await client.withGuardedTransaction(logger: TestDatabase.logger) { connection in
                    let pid = try await connection.query("SELECT pg_backend_pid()", logger: TestDatabase.logger)
                        .collect().first!.decode(Int32.self)
                    try await TestDatabase.admin(try TestDatabase.serverURL, "SELECT pg_terminate_backend(\(pid))")
                    // The terminated connection is asked again, as a retry on it would.
                    _ = try await connection.query("SELECT 1", logger: TestDatabase.logger).collect()
                    _ = try await connection.query("SELECT 2", logger: TestDatabase.logger).collect()
                }
            }
            #expect(ContinuousClock.now - started < .seconds(30))

            let after = try await client.withGuardedTransaction(logger: TestDatabase.logger) { connection in
                try await connection.query("SELECT 7", logger: TestDatabase.logger).collect().first!.decode(Int.self)
            }
            #expect(after == 7)
        }
    }

    @Test func withTheDatabaseDownATransactionIsRefusedOnceItsConnectionWaitIsOver() async throws {
        // Nothing listens on this port: the pool keeps trying to connect, and without a wait the
        // caller would wait with it until the server came back.
        let url = try DatabaseURL.parse("postgres://porter@127.0.0.1:\(try ServiceProcess.freePort())/porter")
        try await withPostgres(url, logger: TestDatabase.logger) { client in
            let started = ContinuousClock.now
            await #expect(throws: DatabaseUnavailable.self) {
                try await client.withGuardedTransaction(logger: TestDatabase.logger, connectionWait: .milliseconds(500))
                {
                    _ in Issue.record("no connection could have been handed out")
                }
            }
            #expect(ContinuousClock.now - started >= .milliseconds(500))
            #expect(ContinuousClock.now - started < .seconds(30))
        }
    }

    @Test func theConnectionWaitEndsWithTheWaitAndNeverCutsATransactionShort() async throws {
        try await TestDatabase.withClient { client, _ in
            // A connection already open and idle, so the wait is for a hand-out, not for a new connection,
            // which a loaded machine can take longer than a second to set up.
            _ = try await client.query("SELECT 1", logger: TestDatabase.logger).collect()
            let value = try await client.withGuardedTransaction(
                logger: TestDatabase.logger, connectionWait: .seconds(1)
            ) { connection in
                // Twice the wait: a wait that went on past the hand-out would cut this short.
                _ = try await connection.query("SELECT pg_sleep(2)", logger: TestDatabase.logger).collect()
                return try await connection.query("SELECT 42", logger: TestDatabase.logger).collect().first!.decode(
                    Int.self)
            }
            #expect(value == 42)
        }
    }
}
