import Foundation
import PorterKit
import PorterTestSupport
import PostgresNIO
import Synchronization
import Testing

/// web-api's one listening connection through database restarts and shutdown.
@Suite(.timeLimit(.minutes(2))) struct TaskChangeFeedTests {
    @Test func aFeedWhoseConnectionIsEndedListensAgainEachTimeAndStillStopsAtOnce() async throws {
        try await TestDatabase.withClient { client, url in
            let feed = TaskChangeFeed(client: client, logger: TestDatabase.logger)
            let ended = Mutex(false)
            let running = Task {
                try? await feed.run()
                ended.withLock { $0 = true }
            }
            defer { running.cancel() }
            var seen: Set<Int32> = []
            for round in 1...3 {
                try await waitUntil("the feed listens again (round \(round))") {
                    guard feed.isListening, let pid = try await Self.listener(url), !seen.contains(pid) else {
                        return false
                    }
                    seen.insert(pid)
                    return true
                }
                // As a restart ends every backend: the server closes the listening connection. Only
                // this database's: a process id seen in an earlier round may since belong to another test.
                try await TestDatabase.admin(
                    try TestDatabase.serverURL,
                    """
                    SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                    WHERE datname = '\(url.database)' AND pid IN (\(seen.map(String.init).joined(separator: ",")))
                    """
                )
            }
            try await waitUntil("the feed listens after the last ending") {
                guard feed.isListening, let pid = try await Self.listener(url) else { return false }
                return !seen.contains(pid)
            }
            // A shutdown ends the feed at once, whatever its connection went through.
            let stopping = ContinuousClock.now
            running.cancel()
            try await waitUntil("the feed stopped", timeout: .seconds(10)) { ended.withLock { $0 } }
            #expect(ContinuousClock.now - stopping < .seconds(10))
        }
    }

    /// The backend holding the feed's LISTEN in the test's database, if any.
    static func listener(_ url: DatabaseURL) async throws -> Int32? {
        try await TestDatabase.withConnection(try TestDatabase.serverURL) { admin in
            try await admin.query(
                "SELECT pid FROM pg_stat_activity WHERE datname = \(url.database) AND query ILIKE 'LISTEN%'",
                logger: TestDatabase.logger
            ).collect().first?.decode(Int32.self)
        }
    }
}
