import Foundation
import PorterKit
import PorterTestSupport
import PostgresNIO
import Synchronization
import Testing

@Suite struct RetentionPrunerTests {
    static func pruner(
        _ client: PostgresClient, batch: Int = 2, timeout: Duration = .seconds(60), metrics: ServiceMetrics? = nil
    ) -> RetentionPruner {
        RetentionPruner(
            client: client, settings: RetentionSettings(batchSize: batch, batchPause: .zero, batchTimeout: timeout),
            logger: TestDatabase.logger, metrics: metrics)
    }

    /// Counted on a connection of its own, never one the pruner's pool might be dropping.
    static func count(_ table: String, _ url: DatabaseURL) async throws -> Int {
        try await TestDatabase.withConnection(url) { connection in
            try await connection.query(
                PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table)"), logger: TestDatabase.logger
            )
            .collect().first!.decode(Int.self)
        }
    }

    @Test func deliveriesGoAfter30DaysAndEventsAfter90() async throws {
        try await TestDatabase.withClient { client, _ in
            let rows = RetentionRows(client: client)
            for _ in 0..<5 { _ = try await rows.delivery(age: "31 days") }
            let recent = try await rows.delivery(age: "29 days")
            let task = try await rows.task()
            try await rows.event(task: task, age: "91 days", count: 5)
            try await rows.event(task: task, age: "31 days", count: 3)
            #expect(try await Self.pruner(client).sweep(lead: AlwaysLeading()) == 10)
            #expect(try await rows.count("webhook_deliveries WHERE delivery_id = '\(recent)'") == 1)
            #expect(try await rows.count("webhook_deliveries") == 1)
            #expect(try await rows.count("task_events WHERE created_at > now() - interval '32 days'") == 3)
            #expect(try await rows.count("task_events") == 3)
            #expect(try await rows.count("tasks") == 1)
        }
    }

    @Test func finishedSideEffectsGoAfter30DaysAndPendingOnesNever() async throws {
        try await TestDatabase.withClient { client, _ in
            let rows = RetentionRows(client: client)
            let done = try await rows.sideEffect(state: "done", age: "31 days")
            let abandoned = try await rows.sideEffect(state: "abandoned", age: "31 days")
            let recent = try await rows.sideEffect(state: "done", age: "29 days")
            let pending = try await rows.sideEffect(state: "pending", age: "400 days")
            #expect(try await Self.pruner(client).sweep(lead: AlwaysLeading()) == 2)
            let left = try await client.query("SELECT id FROM github_side_effects ORDER BY id").collect()
                .map { try $0.decode(Int64.self) }
            #expect(left == [recent, pending])
            #expect(!left.contains(done) && !left.contains(abandoned))
        }
    }

    @Test func jobsGoOnlyWhenTheirTaskFinishedLongAgoAndNoLeaseHoldsThem() async throws {
        try await TestDatabase.withClient { client, _ in
            let rows = RetentionRows(client: client)
            let longFinished = try await rows.task(status: "cancelled", finishedAge: "8 days")
            let justFinished = try await rows.task(status: "failed", finishedAge: "1 day")
            let waiting = try await rows.task()
            let gone = [
                try await rows.job(task: longFinished, age: "8 days"),
                try await rows.job(task: nil, kind: .control, age: "8 days"),
                try await rows.job(task: nil, kind: .control, age: "8 days", leaseLeft: "-1 minute"),
            ]
            let kept = [
                try await rows.job(task: justFinished, age: "8 days"),
                try await rows.job(task: waiting, kind: .dispatch, age: "30 days"),
                try await rows.job(task: nil, kind: .control, age: "8 days", leaseLeft: "1 minute"),
                try await rows.job(task: nil, kind: .control, age: "6 days"),
            ]
            #expect(try await Self.pruner(client).sweep(lead: AlwaysLeading()) == gone.count)
            let left = try await client.query("SELECT id FROM jobs ORDER BY id").collect()
                .map { try $0.decode(Int64.self) }
            #expect(left == kept)
            #expect(try await rows.count("tasks") == 3)
        }
    }

    @Test func sessionsGoADayAfterTheyExpiredOrWereRevoked() async throws {
        try await TestDatabase.withClient { client, _ in
            let rows = RetentionRows(client: client)
            _ = try await rows.session(expiredAge: "2 days")
            _ = try await rows.session(expiredAge: "-20 days", revokedAge: "2 days")
            let recentlyExpired = try await rows.session(expiredAge: "1 hour")
            let recentlyRevoked = try await rows.session(expiredAge: "-20 days", revokedAge: "1 hour")
            let valid = try await rows.session(expiredAge: "-20 days")
            #expect(try await Self.pruner(client).sweep(lead: AlwaysLeading()) == 2)
            let left = Set(
                try await client.query("SELECT id_hash FROM sessions").collect().map { try $0.decode(Data.self) })
            #expect(left == [recentlyExpired, recentlyRevoked, valid])
        }
    }

    @Test func aBacklogLargerThanABatchIsPrunedWholeAndCounted() async throws {
        try await TestDatabase.withClient { client, _ in
            let rows = RetentionRows(client: client)
            let task = try await rows.task()
            try await rows.event(task: task, age: "100 days", count: 2_500)
            try await rows.event(task: task, age: "1 day", count: 7)
            let metrics = ServiceMetrics(service: "watchdog")
            let pruner = Self.pruner(client, batch: 100, metrics: metrics)
            #expect(try await pruner.sweep(lead: AlwaysLeading()) == 2_500)
            #expect(try await rows.count("task_events") == 7)
            #expect(
                metrics.render().contains(#"porter_watchdog_retention_pruned_rows_total{table="task_events"} 2500"#))
            #expect(try await pruner.sweep(lead: AlwaysLeading()) == 0)
        }
    }

    @Test func nothingIsDeletedWithoutTheLead() async throws {
        try await TestDatabase.withClient { client, _ in
            let rows = RetentionRows(client: client)
            for _ in 0..<3 { _ = try await rows.delivery(age: "40 days") }
            _ = try await rows.sideEffect(state: "done", age: "40 days")
            #expect(try await Self.pruner(client).sweep(lead: LeadFor(checks: 0)) == 0)
            #expect(try await rows.count("webhook_deliveries") == 3)
            #expect(try await rows.count("github_side_effects") == 1)
        }
    }

    @Test func aLeadLostMidwayStopsBeforeTheNextBatch() async throws {
        try await TestDatabase.withClient { client, _ in
            let rows = RetentionRows(client: client)
            for _ in 0..<10 { _ = try await rows.delivery(age: "40 days") }
            // One check to start the table, one before each of two batches; the third batch never runs.
            let lead = LeadFor(checks: 3)
            #expect(try await Self.pruner(client, batch: 3).sweep(lead: lead) == 6)
            #expect(try await rows.count("webhook_deliveries") == 4)
        }
    }

    @Test func aConnectionLostMidBatchFailsTheRoundAndALaterRoundFinishes() async throws {
        try await TestDatabase.withClient { client, url in
            let rows = RetentionRows(client: client)
            let task = try await rows.task()
            try await rows.event(task: task, age: "100 days", count: 50)
            // What a restarting server does to every session: terminate it, here while the third batch deletes.
            try await client.query("CREATE SEQUENCE batch_deletes")
            try await client.query(
                """
                CREATE FUNCTION drop_connection() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF nextval('batch_deletes') = 25 THEN PERFORM pg_terminate_backend(pg_backend_pid()); END IF;
                    RETURN OLD;
                END
                $$
                """)
            try await client.query(
                "CREATE TRIGGER drop_connection BEFORE DELETE ON task_events FOR EACH ROW EXECUTE FUNCTION drop_connection()"
            )
            let pruner = Self.pruner(client, batch: 10, timeout: .seconds(5))
            let error = try await #require(throws: PSQLError.self) { try await pruner.sweep(lead: AlwaysLeading()) }
            #expect(error.serverInfo?[.sqlState] == "57P01")  // admin_shutdown, as every session gets at a restart
            // The two batches before it stay deleted; the interrupted one was rolled back whole.
            #expect(try await Self.count("task_events", url) == 30)
            // A round that draws the closed connection before the pool has dropped it fails too, or gives up
            // at its deadline; the watchdog runs the next one.
            for _ in 0..<5 where try await Self.count("task_events", url) > 0 {
                _ = try? await pruner.sweep(lead: AlwaysLeading())
            }
            #expect(try await Self.count("task_events", url) == 0)
            #expect(try await Self.count("tasks", url) == 1)
        }
    }

    @Test func aBatchThatStallsEndsTheRoundAtItsDeadline() async throws {
        try await TestDatabase.withClient { client, _ in
            _ = try await RetentionRows(client: client).delivery(age: "40 days")
            try await client.query(
                """
                CREATE FUNCTION stall() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN PERFORM pg_sleep(3); RETURN OLD; END
                $$
                """)
            try await client.query(
                "CREATE TRIGGER stall BEFORE DELETE ON webhook_deliveries FOR EACH ROW EXECUTE FUNCTION stall()")
            let started = ContinuousClock.now
            await #expect(throws: DeadlinePassed.self) {
                try await Self.pruner(client, batch: 10, timeout: .milliseconds(300)).sweep(lead: AlwaysLeading())
            }
            #expect(ContinuousClock.now - started < .seconds(3))
        }
    }
}

/// Leadership that holds for a number of checks, then is lost for good.
final class LeadFor: Leadership {
    private let remaining: Mutex<Int>

    init(checks: Int) { remaining = Mutex(checks) }

    var isLeading: Bool {
        remaining.withLock { left in
            left -= 1
            return left >= 0
        }
    }
}
