import Foundation
import PorterKit
import PorterTestSupport
import PostgresNIO
import ServiceLifecycle
import Synchronization
import Testing

@Suite(.timeLimit(.minutes(1))) struct JobWakeupsTests {
    /// Runs wake-ups for `client` in the background while `body` consumes them.
    func withWakeups(
        _ client: PostgresClient, backstop: Duration, _ body: @Sendable (AsyncStream<Void>) async throws -> Void
    ) async throws {
        let wakeups = JobWakeups(client: client, backstop: backstop, logger: TestDatabase.logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await wakeups.run() }
            try await body(wakeups.wakeups)
            group.cancelAll()
        }
    }

    @Test func aNotificationWakesTheWorkerLongBeforeTheBackstop() async throws {
        try await TestDatabase.withClient { client, _ in
            try await withWakeups(client, backstop: .seconds(30)) { wakeups in
                // The backstop's first tick comes 30 s after this at the earliest: a wake-up before then
                // and after the notification is the notification's.
                let backstopFree = ContinuousClock.now + .seconds(25)
                let seen = Instants()
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { for await _ in wakeups { seen.record() } }
                    try await waitUntil("the wake-ups listen") {
                        try await client.query(
                            """
                            SELECT count(*) FROM pg_stat_activity
                            WHERE datname = current_database() AND query ILIKE 'LISTEN%'
                            """
                        ).collect().first!.decode(Int.self) > 0
                    }
                    let sent = ContinuousClock.now
                    try await client.query("SELECT pg_notify(\(PostgresJobQueue.channel), 'dispatch')")
                    try await waitUntil("a wake-up after the notification", timeout: backstopFree - .now) {
                        seen.any { $0 > sent }
                    }
                    #expect(seen.any { $0 > sent && $0 < backstopFree })
                    group.cancelAll()
                }
            }
        }
    }

    @Test func theBackstopWakesTheWorkerWithoutAnyNotification() async throws {
        try await TestDatabase.withClient { client, _ in
            try await withWakeups(client, backstop: .milliseconds(100)) { wakeups in
                var count = 0
                for await _ in wakeups {
                    count += 1
                    if count == 5 { break }
                }
                #expect(count == 5)
            }
        }
    }
}

final class Instants: Sendable {
    private let times = Mutex<[ContinuousClock.Instant]>([])
    func record() { times.withLock { $0.append(.now) } }
    func any(_ predicate: (ContinuousClock.Instant) -> Bool) -> Bool {
        times.withLock { $0.contains(where: predicate) }
    }
}
