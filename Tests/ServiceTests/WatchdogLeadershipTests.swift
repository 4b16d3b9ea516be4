import Foundation
import PorterKit
import PorterTestSupport
import PostgresNIO
import Testing

/// Two real watchdog processes: one leads and acts; killed with SIGKILL, the other takes over within
/// 30 s, and at no moment do both act (every action is recorded with who took it).
@Suite(.timeLimit(.minutes(3))) struct WatchdogLeadershipTests {
    @Test func theOtherWatchdogTakesOverFromAKilledLeaderAndTheyNeverActTogether() async throws {
        try await TestDatabase.withClient { database, url in
            // Work that never runs out: queued tasks whose jobs the test keeps deleting, which the
            // leader keeps putting back on the queue.
            let tasks = PostgresTaskRepository(client: database, logger: TestDatabase.logger)
            for number in 1...5 {
                _ = try await tasks.create(
                    NewTask(
                        issue: IssueReference(
                            installationID: 1, repositoryID: 1, repositoryFullName: "acme/widgets", number: number),
                        requester: Requester(id: 1, login: "alice"),
                        request: TaskRequest(agent: .claude, instructions: "")))
            }
            try await database.query("UPDATE tasks SET updated_at = now() - interval '1 hour'")
            var environment = ServiceEnvironment.minimal(for: "watchdog", database: url)
            environment.merge([
                "PORTER_WATCHDOG_LEASE": "6s", "PORTER_SWEEP_INTERVAL": "200ms", "PORTER_RUNTIME": "local",
                "LOG_LEVEL": "notice",
            ]) { $1 }
            var watchdogs: [ServiceProcess] = []
            for _ in 0..<2 {
                let port = try ServiceProcess.freePort()
                environment["PORT"] = String(port)
                watchdogs.append(try ServiceProcess.start("watchdog", environment: environment, port: port))
            }
            defer { watchdogs.forEach { $0.terminate() } }
            let churn = Task {
                while !Task.isCancelled {
                    _ = try? await database.query("DELETE FROM jobs").collect()
                    try? await Task.sleep(for: .milliseconds(150))
                }
            }
            defer { churn.cancel() }

            let first = try await Self.holder(database, otherThan: nil, within: .seconds(60))
            let leader = try #require(watchdogs.first { first.contains("-\($0.pid)-") })
            let follower = try #require(watchdogs.first { $0.pid != leader.pid })
            #expect(try await follower.get("/readyz").status == 200, "a follower is ready too")
            let killedAt = try await database.query("SELECT clock_timestamp()").collect().first!.decode(Date.self)
            leader.signal(SIGKILL)

            let second = try await Self.holder(database, otherThan: first, within: .seconds(45))
            let (lastOfFirst, firstOfSecond) = try await database.query(
                """
                SELECT (SELECT max(at) FROM watchdog_actions WHERE holder = \(first)),
                       (SELECT min(at) FROM watchdog_actions WHERE holder = \(second))
                """
            ).collect().first!.decode((Date, Date).self)
            #expect(lastOfFirst < firstOfSecond, "the two watchdogs acted at the same time")
            let takeover = firstOfSecond.timeIntervalSince(killedAt)
            #expect(takeover < 30, "took \(takeover) s to take over")
            #expect(
                try await database.query("SELECT count(DISTINCT holder) FROM watchdog_actions").collect().first!
                    .decode(Int.self) == 2)

            let metrics = try await follower.get("/metrics").body
            #expect(metrics.contains(#"porter_watchdog_leader_info{holder="\#(second)"} 1"#), "\(metrics)")
            print("watchdog takeover after SIGKILL: \(String(format: "%.1f", takeover)) s")
        }
    }

    /// The holder of the first action recorded by anyone but `other`.
    static func holder(
        _ database: PostgresClient, otherThan other: String?, within limit: Duration
    ) async throws
        -> String
    {
        let end = ContinuousClock.now + limit
        while ContinuousClock.now < end {
            if let holder = try await database.query(
                "SELECT holder FROM watchdog_actions WHERE holder <> \(other ?? "") ORDER BY id LIMIT 1"
            ).collect().first?.decode(String.self) {
                return holder
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestSetupError("no watchdog acted within \(limit)")
    }
}
