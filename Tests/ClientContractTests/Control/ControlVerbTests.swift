import Foundation
import PorterEmulators
import PorterKit
import PorterTestSupport
import Testing

/// `@porter stop | retry | status` through the dispatcher, the GitHub emulator (permissions, comments,
/// reactions) and the Fly emulator (the Machine a stop removes).
@Suite struct ControlVerbTests {
    static func options(maxActive: Int = 5) -> DispatchWorld.Options {
        var options = DispatchWorld.Options()
        options.defaultKeys = ["ANTHROPIC_API_KEY"]
        options.maxActivePerUser = maxActive
        return options
    }

    /// Alice (write) with a task running on issue #1 in a `sleeper` Machine that never reports.
    static func running(
        _ world: DispatchWorld, options: DispatchWorld.Options = options()
    ) async throws -> (
        UUID, TaskDispatcher
    ) {
        world.emulator.setRole(owner: "acme", repo: "widgets", user: "alice", role: "write")
        let id = try await world.request(by: "alice")
        let dispatcher = world.dispatcher(options)
        try await world.settle(dispatcher)
        #expect(try await world.status(id).0 == "running")
        return (id, dispatcher)
    }

    @Test func stopWhileRunningStopsAndDestroysAWorkerThatDoesNotReport() async throws {
        try await DispatchWorld.run { world in
            let (id, dispatcher) = try await Self.running(world)
            let machine = try #require(world.fly.machines.first)
            let stopComment = try await world.command(.stop, by: "alice")
            try await world.settle(dispatcher) { try await world.status(id).0 == "cancelled" }

            #expect(try await world.status(id).1 == "stopped by @alice")
            let after = try #require(world.fly.machines.first { $0.id == machine.id })
            #expect(["destroying", "destroyed"].contains(after.state), "the Machine is stopped and destroyed")
            let status = try #require(world.comments.first { $0.contains("🛑 cancelled") })
            #expect(status.contains("Stopped by @alice."))
            #expect(status.contains("did not stop by itself"))
            #expect(world.labels == ["porter:cancelled"])
            #expect(world.comments.filter { $0.contains("**Porter** ·") }.count == 1, "one status comment")
            #expect(world.emulator.reactions(commentID: stopComment) == ["eyes"])
            #expect(try await world.jobCount(.cancel) == 0)
            let attempt = try await world.database.query(
                "SELECT state, ended_reason FROM task_attempts WHERE task_id = \(id)"
            ).collect().first!.decode((String, String?).self)
            #expect(attempt.0 == "stopped" && attempt.1 == "stopped")
        }
    }

    @Test func stopWhileWaitingCancelsAtOnceAndFinishesItsStatusComment() async throws {
        try await DispatchWorld.run { world in
            // One slot: the task on issue #2 waits for the one running on issue #1.
            world.emulator.addIssue(owner: "acme", repo: "widgets", title: "Second", body: "", author: "octocat")
            let (first, dispatcher) = try await Self.running(world, options: Self.options(maxActive: 1))
            let waiting = try await world.request(by: "alice", issue: 2)
            try await world.settle(dispatcher)
            #expect(try await world.status(waiting).0 == "queued")
            #expect(world.comments(issue: 2).contains { $0.contains("⏸️ waiting") })

            try await world.command(.stop, by: "alice", issue: 2)
            try await world.settle(dispatcher) {
                world.comments(issue: 2).contains { $0.contains("🛑 cancelled") }
            }
            #expect(try await world.status(waiting) == ("cancelled", "stopped by @alice"))
            #expect(try await world.status(first).0 == "running", "the other issue's task is untouched")
            let status = world.comments(issue: 2).filter { $0.contains("**Porter** ·") }
            #expect(status.count == 1 && status[0].contains("Stopped by @alice."))
            #expect(world.emulator.labels(owner: "acme", repo: "widgets", issue: 2) == ["porter:cancelled"])
        }
    }

    @Test func stopFromSomeoneWithoutWriteAccessIsRefusedAndStopsNothing() async throws {
        try await DispatchWorld.run { world in
            let (id, dispatcher) = try await Self.running(world)
            world.emulator.setRole(owner: "acme", repo: "widgets", user: "mallory", role: "read")
            try await world.command(.stop, by: "mallory", userID: 666)
            try await world.settle(dispatcher) { world.comments.contains { $0.contains("@mallory") } }

            #expect(try await world.status(id).0 == "running")
            let cancelRequested = try await world.database.query(
                "SELECT cancel_requested_at IS NOT NULL FROM tasks WHERE id = \(id)"
            ).collect().first!.decode(Bool.self)
            #expect(!cancelRequested)
            #expect(try await world.jobCount(.cancel) == 0)
            let reply = try #require(world.comments.first { $0.contains("@mallory") })
            #expect(reply.contains("write, maintain or admin") && reply.contains("you have read"))
            #expect(world.fly.machines.allSatisfy { $0.state != "destroyed" })
        }
    }

    @Test func controlVerbsFromAnOutsiderGetOneReplyAnIssueADayAndNoReaction() async throws {
        try await DispatchWorld.run { world in
            let (id, dispatcher) = try await Self.running(world)
            world.emulator.setRole(owner: "acme", repo: "widgets", user: "mallory", role: "read")
            let labels = world.labels
            let porterComments = world.comments.filter { $0.contains("<!-- porter:") }.count
            var commands: [Int] = []
            for verb in [ControlVerb.stop, .retry, .status, .stop] {
                commands.append(try await world.command(verb, by: "mallory", userID: 666))
            }
            try await world.settle(dispatcher) { try await world.jobCount(.control) == 0 }

            #expect(try await world.status(id).0 == "running")
            #expect(try await world.tasks().count == 1, "no retry was created")
            let replies = world.comments.filter { $0.contains("<!-- porter:") }
            #expect(replies.count == porterComments + 1, "\(replies)")
            #expect(replies.filter { $0.contains("@mallory") }.count == 1)
            #expect(world.labels == labels)
            #expect(commands.allSatisfy { world.emulator.reactions(commentID: $0).isEmpty })
        }
    }

    @Test func aPermissionCheckGitHubCannotAnswerStopsNothingUntilItCan() async throws {
        try await DispatchWorld.run { world in
            let (id, dispatcher) = try await Self.running(world)
            world.emulator.faults.add(
                .init(method: "GET", pathPrefix: "/repos/acme/widgets/collaborators/", status: 502))
            try await world.command(.stop, by: "alice")
            try await world.settle(dispatcher)
            #expect(try await world.status(id).0 == "running", "fails closed while GitHub cannot say")
            #expect(try await world.jobCount(.control) == 1, "the stop waits to be tried again")
            #expect(try await world.jobCount(.cancel) == 0)
            world.emulator.faults.reset()
            try await world.settle(dispatcher) { try await world.status(id).0 == "cancelled" }
        }
    }

    @Test func retryAfterAFailureStartsANewTaskWithTheSameRequest() async throws {
        try await DispatchWorld.run { world in
            world.emulator.setRole(owner: "acme", repo: "widgets", user: "alice", role: "write")
            try await world.signUp("alice")
            // An account without the agent's key, and no operator key: the task fails and says to retry
            // once the key is added.
            let failed = try await world.request(by: "alice", instructions: "make the login test stable")
            let dispatcher = world.dispatcher()
            try await world.settle(dispatcher)
            #expect(try await world.status(failed).0 == "failed")
            try await world.secrets.put(
                userID: 501, name: "ANTHROPIC_API_KEY", value: "sk-ant-api03-alice0123456789abcdefghijklmnop")

            try await world.command(.retry, by: "alice")
            try await world.settle(dispatcher) { try await world.tasks().count == 2 }
            try await world.settle(dispatcher) { try await world.tasks().last?.status == "running" }
            let tasks = try await world.tasks()
            #expect(tasks[1].retryOf == failed)
            let (agent, instructions, requester) = try await world.database.query(
                "SELECT agent, instructions, requester_login FROM tasks WHERE id = \(tasks[1].id)"
            ).collect().first!.decode((String, String, String).self)
            #expect(agent == "claude" && instructions == "make the login test stable" && requester == "alice")
            #expect(world.comments.filter { $0.contains("**Porter** ·") }.count == 2, "its own status comment")
            #expect(world.fly.machines.count == 1)
        }
    }

    @Test func retryAfterSuccessStartsANewTask() async throws {
        try await DispatchWorld.run { world in
            let (id, dispatcher) = try await Self.running(world)
            let repository = PostgresTaskRepository(client: world.database, logger: TestDatabase.logger)
            #expect(try await repository.transition(id: id, to: .succeeded, reason: "the agent pushed").moved)
            try await world.command(.retry, by: "alice")
            try await world.settle(dispatcher) { try await world.tasks().last?.status == "running" }
            let tasks = try await world.tasks()
            #expect(tasks.count == 2 && tasks[1].retryOf == id)
        }
    }

    @Test func retryWhileRunningSaysSoAndCreatesNothing() async throws {
        try await DispatchWorld.run { world in
            let (id, dispatcher) = try await Self.running(world)
            try await world.command(.retry, by: "alice")
            try await world.settle(dispatcher) { world.comments.contains { $0.contains("still running") } }
            #expect(try await world.tasks().map(\.id) == [id])
            let reply = try #require(world.comments.first { $0.contains("still running") })
            #expect(reply.contains("https://porter.example.com/tasks/\(id.uuidString.lowercased())"))
        }
    }

    @Test func theSameRetryDeliveryCreatesOneTaskHoweverOftenItRuns() async throws {
        try await DispatchWorld.run { world in
            let (id, dispatcher) = try await Self.running(world)
            let repository = PostgresTaskRepository(client: world.database, logger: TestDatabase.logger)
            _ = try await repository.transition(id: id, to: .failed, reason: "boom")
            let latest = try #require(try await repository.find(id: id))
            let control = PostgresControlRepository(client: world.database, logger: TestDatabase.logger)
            let alice = Requester(id: 501, login: "alice")
            let first = try await control.retry(latest, requester: alice, commentID: nil, deliveryID: "d-1") { _ in [] }
            let again = try await control.retry(latest, requester: alice, commentID: nil, deliveryID: "d-1") { _ in [] }
            #expect(first == again)
            guard case .created = first else { Issue.record("no retry created: \(first)"); return }
            #expect(try await world.tasks().count == 2)
            _ = dispatcher
        }
    }

    @Test func statusRepliesOnceAndASecondStatusEditsThatReply() async throws {
        try await DispatchWorld.run { world in
            let (id, dispatcher) = try await Self.running(world)
            try await world.command(.status, by: "alice")
            try await world.settle(dispatcher) { world.comments.contains { $0.contains("status of the latest task") } }
            let first = try #require(world.comments.first { $0.contains("status of the latest task") })
            #expect(first.contains("⚙️ running") && first.contains("`claude`") && first.contains("attempt 1"))
            #expect(first.contains("/tasks/\(id.uuidString.lowercased())"))
            #expect(first.contains("elapsed"))
            let before = world.comments.count

            let repository = PostgresTaskRepository(client: world.database, logger: TestDatabase.logger)
            _ = try await repository.transition(id: id, to: .failed, reason: "the agent failed")
            try await world.command(.status, by: "alice")
            try await world.settle(dispatcher) { world.comments.contains { $0.contains("❌ failed") } }
            // The second command's own comment is new; the status reply is edited, not posted again.
            #expect(world.comments.count == before + 1)
            let replies = world.comments.filter { $0.contains("status of the latest task") }
            #expect(replies.count == 1)
            #expect(replies[0].contains("Reason: the agent failed"))
        }
    }

    @Test(arguments: [ControlVerb.stop, .retry, .status])
    func aVerbWithNothingToActOnSaysSo(_ verb: ControlVerb) async throws {
        try await DispatchWorld.run { world in
            world.emulator.setRole(owner: "acme", repo: "widgets", user: "alice", role: "write")
            let dispatcher = world.dispatcher(Self.options())
            try await world.command(verb, by: "alice")
            try await world.settle(dispatcher) {
                world.comments.contains { $0.contains("**Porter**") || $0.contains("@alice") }
            }
            let reply = try #require(world.comments.last)
            switch verb {
            case .stop: #expect(reply.contains("no unfinished Porter task here to stop"))
            case .retry: #expect(reply.contains("no Porter task here to retry"))
            default: #expect(reply.contains("No Porter task has run here yet"))
            }
            #expect(try await world.tasks().isEmpty)
            #expect(try await world.jobCount(.control) == 0, "the job is done, not retried")
        }
    }

    @Test func everyJobKindHasAConsumer() async throws {
        try await DispatchWorld.run { world in
            world.emulator.setRole(owner: "acme", repo: "widgets", user: "alice", role: "write")
            let dispatcher = world.dispatcher(Self.options())
            let id = try await world.request(by: "alice")
            let queue = PostgresJobQueue(client: world.database, logger: TestDatabase.logger)
            for kind in JobKind.allCases where kind != .dispatch {
                switch kind {
                case .dispatch: break
                case .control: try await world.command(.status, by: "alice")
                case .cancel:
                    try await queue.enqueue(.cancel(id, CancelOrder(reason: "a test", finalizeOnly: true)))
                }
            }
            for kind in JobKind.allCases {
                #expect(try await world.jobCount(kind) == 1, "one \(kind) job waits")
            }
            try await world.settle(dispatcher)
            for kind in JobKind.allCases {
                #expect(try await world.jobCount(kind) == 0, "the \(kind) job was consumed")
            }
        }
    }
}

/// Control verbs on a pull request Porter opened act on the task it came from.
@Suite struct ControlOnPullRequestTests {
    @Test func statusOnPorterPullRequestDescribesTheTaskItCameFrom() async throws {
        try await DispatchWorld.run { world in
            let (id, dispatcher) = try await ControlVerbTests.running(world)
            let pull = world.emulator.addIssue(
                owner: "acme", repo: "widgets", title: "Fix the login test", author: "porter[bot]")
            try await world.database.query(
                """
                UPDATE tasks SET pull_request_number = \(pull), pull_request_url = 'https://github.example/pull'
                WHERE id = \(id)
                """)
            try await world.command(.status, by: "alice", issue: pull)
            try await world.settle(dispatcher) {
                world.comments(issue: pull).contains { $0.contains("status of the latest task") }
            }
            let reply = try #require(world.comments(issue: pull).first { $0.contains("status of the latest task") })
            #expect(reply.contains("/tasks/\(id.uuidString.lowercased())"))
            #expect(reply.contains("Pull request: #\(pull)"))
        }
    }

    /// `@porter retry` on Porter's pull request once it is merged or closed starts nothing: the reply
    /// says why and points at the issue, where a new task opens a new pull request.
    @Test(arguments: [true, false])
    func retryOnAMergedOrClosedPullRequestSaysHowToStartAgainAndCreatesNothing(merged: Bool) async throws {
        try await DispatchWorld.run { world in
            let (pull, opened) = try await DispatchFollowUpTests.portersPullRequest(world)
            for status in ["dispatching", "running", "succeeded"] {
                try await world.database.query("UPDATE tasks SET status = \(status) WHERE id = \(opened)")
            }
            if merged {
                _ = try await world.emulator.mergePullRequest(owner: "acme", repo: "widgets", number: pull)
            } else {
                try await world.emulator.closePullRequest(owner: "acme", repo: "widgets", number: pull)
            }
            world.emulator.setRole(owner: "acme", repo: "widgets", user: "alice", role: "write")
            try await world.command(
                .retry, by: "alice", issue: pull, repositoryID: try await DispatchFollowUpTests.repositoryID(world),
                onPullRequest: true)
            let dispatcher = world.dispatcher()
            try await world.settle(dispatcher) { world.comments(issue: pull).contains { $0.hasPrefix("@alice") } }
            let reply = try #require(world.comments(issue: pull).first { $0.hasPrefix("@alice") })
            #expect(
                reply.contains(merged ? "#\(pull) is already merged" : "#\(pull) is closed"), "\(reply)")
            #expect(reply.contains("comment `@porter <agent> …` on #1"), "\(reply)")
            let tasks = try await world.database.query("SELECT count(*)::integer FROM tasks").collect().first?
                .decode(Int.self)
            #expect(tasks == 1, "no task was created")
        }
    }
}
