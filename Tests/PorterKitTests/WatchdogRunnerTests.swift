import Foundation
import Logging
import PorterKit
import PorterTestSupport
import PostgresNIO
import ServiceLifecycle
import Synchronization
import Testing

/// The watchdog's loop on real Postgres: a failing round is tried again at the next, and a replica
/// that does not hold the lease never runs a sweep.
@Suite struct WatchdogRunnerTests {
    /// Counts its rounds and queries the database in each; in the first, the database ends its
    /// connection, as a restart does, and the round fails.
    final class FlakySweep: WatchdogSweep {
        let name = "flaky"
        let interval: Duration = .milliseconds(50)
        let rounds = Mutex(0)
        let client: PostgresClient

        init(client: PostgresClient) { self.client = client }

        func sweep(lead: any Leadership) async throws -> Int {
            let round = rounds.withLock { count in
                count += 1
                return count
            }
            if round == 1 {
                _ = try await client.query("SELECT pg_terminate_backend(pg_backend_pid())").collect()
            }
            return try await client.query("SELECT 1").collect().count
        }
    }

    static func run(
        _ runner: WatchdogRunner, until condition: @Sendable () -> Bool
    ) async throws {
        let group = ServiceGroup(
            configuration: .init(services: [runner], gracefulShutdownSignals: [], logger: TestDatabase.logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let end = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < end, !condition() { try await Task.sleep(for: .milliseconds(50)) }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    /// The value of `porter_watchdog_sweep_runs_total` for the flaky sweep and `outcome`; 0 when absent.
    static func count(_ text: String, outcome: String) -> Int {
        let prefix = #"porter_watchdog_sweep_runs_total{sweep="flaky",outcome="\#(outcome)"} "#
        return text.split(separator: "\n").first { $0.hasPrefix(prefix) }.flatMap { Int($0.dropFirst(prefix.count)) }
            ?? 0
    }

    @Test func aRoundThatFailsIsTriedAgainAndCounted() async throws {
        try await TestDatabase.withClient { client, _ in
            let metrics = ServiceMetrics(service: "watchdog")
            let sweep = FlakySweep(client: client)
            let lease = LeaderLease(holder: "runner-a", ttl: .seconds(6), client: client, logger: TestDatabase.logger)
            let runner = WatchdogRunner(lease: lease, sweeps: [sweep], metrics: metrics, logger: TestDatabase.logger)
            try await Self.run(runner) { sweep.rounds.withLock { $0 } >= 3 }

            #expect(sweep.rounds.withLock { $0 } >= 3)
            let text = metrics.render()
            // The failed round is counted; a query on the pool's other connections may also find the
            // ended one before the pool has noticed, so it is at least one.
            #expect(Self.count(text, outcome: "error") >= 1, "\(text)")
            #expect(Self.count(text, outcome: "ok") >= 1, "\(text)")
            // Shutdown gave the lease up, so another replica need not wait for it to expire.
            #expect(try await client.query("SELECT count(*) FROM leader_leases").collect().first!.decode(Int.self) == 0)
        }
    }

    @Test func aReplicaThatDoesNotHoldTheLeaseRunsNoSweep() async throws {
        try await TestDatabase.withClient { client, _ in
            try await client.query(
                "INSERT INTO leader_leases (name, holder, expires_at) VALUES ('watchdog', 'other', now() + interval '1 hour')"
            )
            let sweep = FlakySweep(client: client)
            let lease = LeaderLease(holder: "runner-b", ttl: .seconds(3), client: client, logger: TestDatabase.logger)
            let runner = WatchdogRunner(lease: lease, sweeps: [sweep], metrics: nil, logger: TestDatabase.logger)
            let started = ContinuousClock.now
            // Two renewals' worth of waiting: long enough to have taken a free lease twice over.
            try await Self.run(runner) { ContinuousClock.now - started > .seconds(2.5) }
            #expect(sweep.rounds.withLock { $0 } == 0)
            #expect(!lease.isLeading)
            let holder = try await client.query("SELECT holder FROM leader_leases").collect().first!.decode(String.self)
            #expect(holder == "other")
        }
    }
}
