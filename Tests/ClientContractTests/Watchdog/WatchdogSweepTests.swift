import Foundation
import PorterEmulators
import PorterKit
import PorterTestSupport
import Testing

/// The watchdog's sweeps against real Postgres, the Fly emulator running the workers, and the
/// GitHub emulator: lost workers, deadlines, orphan Machines, stranded tasks, and faults.
@Suite struct WatchdogSweepTests {
    @Test func aWorkerKilledMidRunGetsANewAttemptThenFailsAsLostWhenRetriesAreSpent() async throws {
        try await DispatchWorld.run { world in
            let watchdog = try await WatchdogWorld.make(world, infraRetries: 1)
            let (id, dispatcher) = try await ControlVerbTests.running(world)
            let first = try #require(watchdog.machine(of: id))
            world.fly.kill(first.id)
            try await watchdog.waitUntilGone(first.id)
            try await watchdog.silence(id)
            #expect(try await watchdog.heartbeats().sweep(lead: watchdog.lease) == 1)
            #expect(try await world.status(id).0 == "dispatching")

            try await world.settle(dispatcher) { try await world.status(id).0 == "running" }
            let second = try #require(watchdog.machine(of: id, attempt: 2))
            #expect(second.id != first.id)
            #expect(world.comments.contains { $0.contains("🔁 retrying") } == false, "edited on to running since")
            world.fly.kill(second.id)
            try await watchdog.waitUntilGone(second.id)
            try await watchdog.silence(id)
            #expect(try await watchdog.heartbeats().sweep(lead: watchdog.lease) == 1)
            try await world.settle(dispatcher)

            let (status, reason) = try await world.status(id)
            #expect(status == "failed")
            #expect(reason?.contains("the worker was lost") == true)
            #expect(world.comments.contains { $0.contains("❌ failed") && $0.contains("the worker was lost") })
            #expect(world.labels == ["porter:failed"])
            let attempts = try await world.database.query(
                "SELECT state, ended_reason FROM task_attempts WHERE task_id = \(id) ORDER BY number"
            ).collect().map { try $0.decode((String, String?).self) }
            #expect(attempts.map(\.0) == ["lost", "lost"] && attempts.map(\.1) == ["lost", "lost"])
            #expect(try await watchdog.actions("worker_lost") == 2)
        }
    }

    @Test func aSilentWorkerThatStillRunsIsLeftAloneUntilItsDeadline() async throws {
        try await DispatchWorld.run { world in
            let watchdog = try await WatchdogWorld.make(world)
            let (id, _) = try await ControlVerbTests.running(world)
            try await watchdog.silence(id)
            #expect(try await watchdog.heartbeats().sweep(lead: watchdog.lease) == 0)
            #expect(try await world.status(id).0 == "running")
            #expect(watchdog.machine(of: id)?.state == "started")
        }
    }

    @Test func flyDownDuringASweepDecidesNothingUntilItAnswers() async throws {
        try await DispatchWorld.run { world in
            let watchdog = try await WatchdogWorld.make(world)
            let (id, _) = try await ControlVerbTests.running(world)
            let machine = try #require(watchdog.machine(of: id))
            world.fly.kill(machine.id)
            try await watchdog.waitUntilGone(machine.id)
            try await watchdog.silence(id)
            world.fly.faults.add(.init(method: "GET", pathPrefix: "/v1/apps/", status: 503))
            #expect(try await watchdog.heartbeats().sweep(lead: watchdog.lease) == 0)
            #expect(try await world.status(id).0 == "running", "unknown is not gone")
            world.fly.faults.reset()
            #expect(try await watchdog.heartbeats().sweep(lead: watchdog.lease) == 1)
        }
    }

    @Test func aTaskNobodyReportsForTimesOutAndItsMachineIsDestroyed() async throws {
        try await DispatchWorld.run { world in
            let watchdog = try await WatchdogWorld.make(world)
            let (id, dispatcher) = try await ControlVerbTests.running(world)
            let machine = try #require(watchdog.machine(of: id))
            try await world.database.query("UPDATE tasks SET deadline_at = now() - interval '1 hour' WHERE id = \(id)")
            #expect(try await watchdog.deadlines().sweep(lead: watchdog.lease) == 1)
            try await world.settle(dispatcher)

            #expect(try await world.status(id).0 == "timed_out")
            #expect(["destroying", "destroyed"].contains(world.fly.machine(machine.id)?.state))
            #expect(world.comments.contains { $0.contains("⌛ timed out") && $0.contains("before changing anything") })
            #expect(world.labels == ["porter:timed-out"])
            #expect(world.emulator.pullRequests(owner: "acme", repo: "widgets").isEmpty)
            #expect(try await watchdog.deadlines().sweep(lead: watchdog.lease) == 0, "decided once")
        }
    }

    @Test func workAPushedBeforeItsWorkerDiedStillBecomesADraft() async throws {
        try await DispatchWorld.run { world in
            let watchdog = try await WatchdogWorld.make(world)
            let (id, dispatcher) = try await ControlVerbTests.running(world)
            let branch = try await world.database.query("SELECT branch FROM tasks WHERE id = \(id)").collect().first!
                .decode(String.self)
            let token = try await world.client.narrowedInstallationToken(
                installationID: world.github.installationID, repositories: ["widgets"],
                permissions: ["contents": "write"])
            let base = world.emulator.baseURL.replacingOccurrences(of: "http://", with: "")
            try await GitCLI.pushBranch(
                from: "http://x-access-token:\(token.token)@\(base)/acme/widgets.git", base: "main", branch: branch,
                files: ["half.txt": "half done\n"])
            try await world.database.query("UPDATE tasks SET deadline_at = now() - interval '1 hour' WHERE id = \(id)")
            // GitHub cannot say at first: nothing is decided on a guess.
            world.emulator.faults.add(.init(method: "GET", pathPrefix: "/repos/acme/widgets/branches/", status: 503))
            #expect(try await watchdog.deadlines().sweep(lead: watchdog.lease) == 0)
            #expect(try await world.status(id).0 == "running")
            world.emulator.faults.reset()
            #expect(try await watchdog.deadlines().sweep(lead: watchdog.lease) == 1)
            try await world.settle(dispatcher)

            #expect(try await world.status(id).0 == "timed_out")
            let pulls = world.emulator.pullRequests(owner: "acme", repo: "widgets")
            #expect(pulls.count == 1)
            #expect(pulls.first?.draft == true && pulls.first?.body?.contains("Refs #1") == true)
            #expect(world.labels == ["porter:timed-out"])
        }
    }

    /// A follow-up's pull request branch always exists: its timed-out work is looked for on its side
    /// branch, and is linked there, never opened as a pull request of the branch under review.
    @Test func aFollowUpThatTimesOutIsJudgedByItsSideBranchAndOpensNoPullRequest() async throws {
        try await DispatchWorld.run { world in
            let watchdog = try await WatchdogWorld.make(world)
            let (pull, opened) = try await DispatchFollowUpTests.portersPullRequest(world)
            let dispatcher = world.dispatcher()
            let quiet = try await DispatchFollowUpTests.followUp(world, on: pull, of: opened, kind: .issueComment)
            try await world.settle(dispatcher)
            #expect(try await world.status(quiet).0 == "running")
            try await world.database.query(
                "UPDATE tasks SET deadline_at = now() - interval '1 hour' WHERE id = \(quiet)")
            #expect(try await watchdog.deadlines().sweep(lead: watchdog.lease) == 1)
            try await world.settle(dispatcher)
            #expect(try await world.status(quiet).0 == "timed_out")
            let comments = { world.emulator.comments(owner: "acme", repo: "widgets", issue: pull) }
            #expect(comments().contains { $0.contains("⌛ timed out") && $0.contains("before changing anything") })

            let pushed = try await DispatchFollowUpTests.followUp(world, on: pull, of: opened, by: "bob")
            try await world.settle(dispatcher)
            #expect(try await world.status(pushed).0 == "running")
            let (head, side) = try await world.database.query(
                "SELECT head_ref, side_branch FROM task_follow_ups WHERE task_id = \(pushed)"
            ).collect().first!.decode((String, String).self)
            #expect(side == "\(head)-followup-2")
            let work = try await world.emulator.pushCommit(
                owner: "acme", repo: "widgets", branch: side, files: ["half.txt": "half done\n"], from: head)
            try await world.database.query(
                "UPDATE tasks SET deadline_at = now() - interval '1 hour' WHERE id = \(pushed)")
            #expect(try await watchdog.deadlines().sweep(lead: watchdog.lease) == 1)
            try await world.settle(dispatcher)

            #expect(try await world.status(pushed).0 == "timed_out")
            let marker = "porter:task:\(pushed.uuidString.lowercased()):status"
            let status = try #require(comments().first { $0.contains(marker) })
            #expect(status.contains("⌛ timed out"))
            #expect(status.contains("[`\(side)`](\(world.emulator.baseURL)/acme/widgets/tree/\(side))"))
            #expect(world.emulator.pullRequests(owner: "acme", repo: "widgets").count == 1, "no second pull request")
            #expect(world.emulator.labels(owner: "acme", repo: "widgets", issue: pull).isEmpty)
            let task = try await world.database.query(
                """
                SELECT t.branch, t.head_sha, t.pull_request_number, f.side_branch
                FROM tasks t JOIN task_follow_ups f ON f.task_id = t.id WHERE t.id = \(pushed)
                """
            ).collect().first!.decode((String?, String?, Int?, String?).self)
            #expect(task.0 == head && task.1 == work && task.2 == nil && task.3 == side)
        }
    }

    @Test func machinesNoTaskNeedsAreRemovedAndOthersKept() async throws {
        try await DispatchWorld.run { world in
            let watchdog = try await WatchdogWorld.make(world)
            let (id, _) = try await ControlVerbTests.running(world)
            let fly = FlyHarness.client(world.flyURL)
            let unknown = try await fly.createMachine(
                app: FlyHarness.app,
                FlyHarness.request(metadata: ["porter_task": UUID().uuidString.lowercased(), "porter_attempt": "1"]))
            let untagged = try await fly.createMachine(app: FlyHarness.app, FlyHarness.request())
            #expect(try await watchdog.orphans(grace: .seconds(3600)).sweep(lead: watchdog.lease) == 0, "too young")
            #expect(try await watchdog.orphans().sweep(lead: watchdog.lease) == 1)
            #expect(["destroying", "destroyed"].contains(world.fly.machine(unknown.id)?.state))
            #expect(!["destroying", "destroyed"].contains(world.fly.machine(untagged.id)?.state), "not Porter's")
            #expect(watchdog.machine(of: id)?.state == "started", "a running task's Machine stays")

            // Once its task has ended, the task's Machine is an orphan too.
            let repository = PostgresTaskRepository(client: world.database, logger: TestDatabase.logger)
            _ = try await repository.transition(id: id, to: .failed, reason: "ended elsewhere")
            #expect(try await watchdog.orphans().sweep(lead: watchdog.lease) == 1)
            #expect(["destroying", "destroyed"].contains(watchdog.machine(of: id)?.state))
            #expect(try await watchdog.actions("orphan_removed") == 2)
        }
    }

    @Test func aTaskWithNoJobIsPutBackOnTheQueue() async throws {
        try await DispatchWorld.run { world in
            let watchdog = try await WatchdogWorld.make(world)
            world.emulator.setRole(owner: "acme", repo: "widgets", user: "alice", role: "write")
            let id = try await world.request(by: "alice")
            try await world.database.query("DELETE FROM jobs")
            #expect(try await watchdog.stranded().sweep(lead: watchdog.lease) == 1)
            try await world.settle(world.dispatcher(ControlVerbTests.options()))
            #expect(try await world.status(id).0 == "running")
            #expect(try await watchdog.stranded().sweep(lead: watchdog.lease) == 0)
        }
    }

    @Test func aWatchdogThatNoLongerLeadsDoesNothing() async throws {
        try await DispatchWorld.run { world in
            let watchdog = try await WatchdogWorld.make(world)
            let fly = FlyHarness.client(world.flyURL)
            let unknown = try await fly.createMachine(
                app: FlyHarness.app,
                FlyHarness.request(metadata: ["porter_task": UUID().uuidString.lowercased(), "porter_attempt": "1"]))
            // Another replica took the lease over meanwhile: the database refuses this one's actions.
            try await world.database.query("UPDATE leader_leases SET holder = 'someone-else'")
            #expect(try await watchdog.orphans().sweep(lead: AlwaysLeading()) == 0)
            #expect(world.fly.machine(unknown.id)?.state != "destroyed")
            await watchdog.lease.release()
            #expect(!watchdog.lease.isLeading)
            #expect(try await watchdog.orphans().sweep(lead: watchdog.lease) == 0)
            #expect(try await watchdog.actions("orphan_removed") == 0)
        }
    }
}
