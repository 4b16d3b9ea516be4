import Foundation
import PorterEmulators
import PorterKit
import PorterTestSupport
import PostgresNIO
import Testing

/// Status comments of running tasks are refreshed on a slow cadence, within a per-installation budget
/// that leaves GitHub's pacing to replies, labels and pull requests.
@Suite struct StatusRefreshTests {
    /// `count` running tasks on issues #1…#count of one installation, each with its status comment
    /// posted (quickly, before the test's clock starts) and last edited ten minutes ago.
    static func runningTasks(_ world: DispatchWorld, count: Int) async throws -> [UUID] {
        let tasks = PostgresTaskRepository(client: world.database, logger: TestDatabase.logger)
        var ids: [UUID] = []
        for number in 1...count {
            if number > 1 {
                _ = world.emulator.addIssue(owner: "acme", repo: "widgets", title: "Issue \(number)", author: "octocat")
            }
            let task = try await tasks.create(
                NewTask(
                    issue: IssueReference(
                        installationID: Int64(world.github.installationID), repositoryID: 77,
                        repositoryFullName: "acme/widgets", number: number),
                    requester: Requester(id: Int64(1_000 + number), login: "user\(number)"),
                    request: TaskRequest(agent: .claude, instructions: "fix it")))
            _ = try await tasks.transition(id: task.id, to: .dispatching, reason: nil)
            _ = try await tasks.transition(id: task.id, to: .running, reason: nil)
            try await world.database.withTransaction(logger: TestDatabase.logger) { connection in
                for notice in TaskNotice.status(task, .starting, publicURL: DispatchWorld.publicURL)
                where notice.effect.kind == "status_comment" {
                    try await PostgresSideEffectQueue.enqueue(
                        notice.effect, installationID: task.issue.installationID, taskID: task.id,
                        dedupeKey: notice.dedupeKey, replacing: true, on: connection, logger: TestDatabase.logger)
                }
            }
            ids.append(task.id)
        }
        try await SideEffectDeliveryTests.drain(
            SideEffectDeliveryTests.deliverer(world.database, world.client), world.database)
        try await world.database.query(
            "UPDATE github_side_effects SET completed_at = now() - interval '10 minutes'", logger: TestDatabase.logger)
        return ids
    }

    static func sweep(
        _ world: DispatchWorld, interval: Duration = .seconds(1), cadence: Duration, budget: Int
    ) -> StatusRefreshSweep {
        StatusRefreshSweep(
            interval: interval, store: WatchdogStore(client: world.database, logger: TestDatabase.logger),
            publicURL: DispatchWorld.publicURL, cadence: cadence, budget: budget, logger: TestDatabase.logger)
    }

    /// Budget 20 a minute (one refresh every 3 s), 50 tasks all due: over 30 s the installation gets
    /// at most 11 refresh edits, never more than 4 in any 10 s, where pacing alone would allow 30;
    /// a reply queued in the middle is not queued behind the refreshes: at most the batch the
    /// deliverer holds (5) reaches GitHub between its queuing and its posting. Counted in calls, not
    /// seconds, so a loaded machine's slowness is not mistaken for a queueing fault.
    @Test(.timeLimit(.minutes(3))) func fiftyRunningTasksAreRefreshedWithinTheBudgetAndARepliesStillGoesOutAtOnce()
        async throws
    {
        try await DispatchWorld.run { world in
            _ = try await Self.runningTasks(world, count: 50)
            var paced = world.client
            paced.mutationSpacing = .seconds(1)  // GitHub's own pacing, as in production
            let installation = world.github.installationID
            let before = world.emulator.mutatingCalls(installationID: installation).count
            let sweep = Self.sweep(world, interval: .seconds(2), cadence: .seconds(60), budget: 20)
            let start = ContinuousClock.now
            let replyQueued = Latency()
            try await LiveDelivery.run(world.database, paced, refresh: sweep) {
                try await Task.sleep(for: .seconds(12))
                let queued = ContinuousClock.now
                replyQueued.set(queued - start)
                try await SideEffectDeliveryTests.enqueue(world.database, installation: installation, key: "reply:1")
                while !world.comments.contains(where: { $0.hasPrefix("Reply for reply:1") }) {
                    guard ContinuousClock.now - queued < .seconds(60) else { break }
                    try await Task.sleep(for: .milliseconds(20))
                }
                try await Task.sleep(until: max(start + .seconds(30), ContinuousClock.now))
            }
            let end = ContinuousClock.now
            let edits = world.emulator.mutatingCalls(installationID: installation).dropFirst(before)
                .filter { $0 >= start && $0 <= end }
            // The reply is one of the calls; everything else is a status edit.
            let refreshes = edits.count - 1
            let seconds = Double((end - start).components.seconds)
            #expect(refreshes >= 5, "refreshes happen: \(refreshes)")
            #expect(Double(refreshes) <= 20 * seconds / 60 + 1, "\(refreshes) edits in \(seconds) s")
            let densest = edits.map { from in edits.filter { $0 >= from && $0 < from + .seconds(10) }.count }.max()
            #expect(
                (densest ?? 0) <= 6,
                "no bursts: 4 refreshes in any 10 s, with the reply and a late delivery 6: \(densest ?? 0)")
            let queued = start + (try #require(replyQueued.value))
            let calls = world.emulator.mutatingRequests(installationID: installation).filter { $0.at >= queued }
            let reply = try #require(
                calls.firstIndex { $0.method == "POST" && $0.path.hasSuffix("/issues/1/comments") },
                "the reply was posted")
            #expect(
                reply <= 5,
                "\(reply) calls went ahead of the reply (it waited \(calls[reply].at - queued)): \(calls[..<reply].map(\.method))"
            )
            let refreshed = try await world.database.query(
                "SELECT count(*) FROM github_side_effects WHERE kind = 'status_comment' AND completed_at > now() - interval '1 minute'"
            ).collect().first!.decode(Int.self)
            // A delivery cut short by the shutdown may be on GitHub without being recorded yet.
            #expect(abs(refreshed - refreshes) <= 1, "\(refreshed) recorded, \(refreshes) on GitHub")
        }
    }

    @Test func aRefreshShowsTheLatestPhaseAndLineAndLeavesWaitingEditsAndFinishedTasksAlone() async throws {
        try await DispatchWorld.run { world in
            let ids = try await Self.runningTasks(world, count: 3)
            try await world.database.query(
                """
                UPDATE tasks SET progress_phase = 'agent', progress_message = 'ran 12 tests, cc @octocat'
                WHERE id = \(ids[0])
                """)
            // A phase change waiting out its spacing, and a task that ended meanwhile.
            try await world.database.query(
                "UPDATE github_side_effects SET state = 'pending', run_after = now() + interval '1 minute' WHERE task_id = \(ids[1])"
            )
            try await world.database.query(
                "UPDATE tasks SET status = 'failed', finished_at = now() WHERE id = \(ids[2])")
            let sweep = Self.sweep(world, interval: .seconds(30), cadence: .seconds(60), budget: 60)
            #expect(try await sweep.sweep(lead: NeverLeading()) == 0, "a follower never refreshes")
            #expect(try await sweep.sweep(lead: AlwaysLeading()) == 1)
            #expect(try await sweep.sweep(lead: AlwaysLeading()) == 0, "edited just now, not stale yet")
            let body = try await world.database.query(
                "SELECT payload->>'body' FROM github_side_effects WHERE task_id = \(ids[0])"
            ).collect().first!.decode(String.self)
            #expect(body.contains("Now: the agent is working."))
            #expect(body.contains("Latest: `ran 12 tests, cc @octocat`"))
        }
    }
}

struct NeverLeading: Leadership {
    var isLeading: Bool { false }
}

final class Latency: @unchecked Sendable {
    private let lock = NSLock()
    private var measured: Duration?
    var value: Duration? { lock.withLock { measured } }
    func set(_ value: Duration) { lock.withLock { measured = value } }
}
