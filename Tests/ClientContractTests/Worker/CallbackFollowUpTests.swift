import Foundation
import PorterEmulators
import PorterKit
import PorterTestSupport
import PostgresNIO
import Testing

/// callback-receiver finalizing follow-ups, with the test in the worker's place: the follow-up runs on
/// Porter's pull request #2, and its report adds to that pull request instead of opening one.
@Suite struct CallbackFollowUpTests {
    static let owner = DispatchFollowUpTests.owner
    static let repo = DispatchFollowUpTests.repo

    /// A follow-up the dispatcher started on Porter's pull request, its spec as the worker gets it.
    struct Running {
        var task: UUID
        var pull: Int
        var token: String
        var head: String
        var sideBranch: String
        var statusKey: String { "task:\(task.uuidString.lowercased()):status" }
    }

    static func running(_ world: CallbackWorld) async throws -> Running {
        let (pull, opened) = try await DispatchFollowUpTests.portersPullRequest(world.dispatch)
        let task = try await DispatchFollowUpTests.followUp(world.dispatch, on: pull, of: opened, kind: .issueComment)
        try await world.dispatch.settle(world.dispatcher(image: "sleeper"))
        #expect(try await world.dispatch.status(task).0 == "running")
        let token = try await world.token(task)
        let spec = try CallbackReceiverTests.json(
            try await world.call(.GET, world.attemptPath(task) + "/spec", token: token).body)
        let head = try #require(spec["branch"] as? String)
        let followUp = try #require(spec["follow_up"] as? [String: Any])
        return Running(
            task: task, pull: pull, token: token, head: head,
            sideBranch: try #require(followUp["side_branch"] as? String))
    }

    static func complete(_ world: CallbackWorld, _ run: Running, _ fields: [String: Any]) async throws -> (Int, String)
    {
        try await complete(world, run, json: try report(run, fields))
    }

    static func complete(_ world: CallbackWorld, _ run: Running, json: String) async throws -> (Int, String) {
        try await world.call(.POST, "/callbacks/complete", token: run.token, json: json)
    }

    static func report(_ run: Running, _ fields: [String: Any]) throws -> String {
        var fields = fields
        fields["attempt"] = 1
        return try CallbackReceiverTests.completion(run.task, fields)
    }

    /// The task's status comments on the pull request, found by their marker; none may be on issue #1.
    static func statusComments(_ world: CallbackWorld, _ run: Running) -> [String] {
        let marker = "<!-- porter:\(run.statusKey) -->"
        #expect(!world.dispatch.comments.contains { $0.contains(marker) }, "nothing on the issue")
        return world.emulator.comments(owner: owner, repo: repo, issue: run.pull).filter { $0.contains(marker) }
    }

    @Test func aPushedFollowUpSucceedsOnItsPullRequestAndLogsOneLineUnderTenCopiesOfItsReport() async throws {
        try await CallbackWorld.run { world in
            let run = try await Self.running(world)
            let before = try #require(world.emulator.pullRequest(owner: Self.owner, repo: Self.repo, number: run.pull))
            let onto = try await world.emulator.pushCommit(
                owner: Self.owner, repo: Self.repo, branch: run.head, files: ["other.txt": "someone else\n"])
            let sha = try await world.emulator.pushCommit(
                owner: Self.owner, repo: Self.repo, branch: run.head, files: ["logout.txt": "covered\n"],
                author: "porter[bot]")

            let report = try Self.report(
                run,
                [
                    "status": "succeeded", "branch": run.head, "head_sha": sha, "rebased_onto": onto,
                    "summary": "Covered logout too.",
                ])
            let replies = try await withThrowingTaskGroup(of: (Int, String).self) { group in
                for _ in 0..<10 { group.addTask { try await Self.complete(world, run, json: report) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(replies.allSatisfy { $0.0 == 200 }, "\(replies)")
            #expect(Set(replies.map(\.1)).count == 1, "every copy gets the same answer")
            let reply = try CallbackReceiverTests.json(replies[0].1)
            #expect(reply["task_status"] as? String == "succeeded")
            #expect(reply["pull_request"] as? Bool == false)
            try await world.deliver()

            let pulls = world.emulator.pullRequests(owner: Self.owner, repo: Self.repo)
            #expect(pulls.count == 1, "no pull request opened")
            let statuses = Self.statusComments(world, run)
            #expect(statuses.count == 1)
            let status = try #require(statuses.first)
            #expect(status.contains("✅ succeeded"))
            #expect(
                status.contains(
                    "Pushed `\(sha.prefix(7))` to `\(run.head)`, rebased onto `\(onto.prefix(7))` after new commits "
                        + "arrived."))
            #expect(status.contains("Covered logout too."))
            #expect(world.emulator.labels(owner: Self.owner, repo: Self.repo, issue: run.pull).isEmpty)
            #expect(world.dispatch.labels.isEmpty, "the issue's labels are its own task's")

            let body = try #require(
                world.emulator.pullRequest(owner: Self.owner, repo: Self.repo, number: run.pull)?.body)
            let marker = FollowUpLog.marker(run.task)
            #expect(body.components(separatedBy: marker).count == 2, "one line: \(body)")
            #expect(body.hasPrefix(before.body ?? "-"), "the description is kept")
            let line = try #require(body.split(separator: "\n").first { $0.contains(marker) })
            #expect(line.hasPrefix("- "))
            #expect(line.contains(" · @alice · `claude` · `also cover logout` · `\(sha.prefix(7))` · [task]("))
            #expect(body.contains("<!-- porter:follow-ups -->\n### Follow-ups\n\n\(line)\n<!-- /porter:follow-ups -->"))

            let task = try await world.database.query(
                """
                SELECT t.status, t.pull_request_number, t.branch, t.head_sha, f.rebased_onto, f.side_branch
                FROM tasks t JOIN task_follow_ups f ON f.task_id = t.id WHERE t.id = \(run.task)
                """
            ).collect().first!.decode((String, Int?, String?, String?, String?, String?).self)
            #expect(task.0 == "succeeded")
            #expect(task.1 == nil, "a follow-up opened no pull request")
            #expect(task.2 == run.head)
            #expect(task.3 == sha)
            #expect(task.4 == onto)
            #expect(task.5 == run.sideBranch, "no side branch was reported")
            let logs = try await world.database.query(
                """
                SELECT count(*)::integer FROM github_side_effects
                WHERE task_id = \(run.task) AND kind = 'append_follow_up_log'
                """
            ).collect().first!.decode(Int.self)
            #expect(logs == 1)

            // A delivery retried after its edit landed (its answer lost) finds the line and adds nothing.
            try await SideEffectDeliveryTests.enqueue(
                world.database, .appendFollowUpLog(Self.entry(run)),
                installation: world.dispatch.github.installationID, key: "retried-log")
            try await world.deliver()
            let again = world.emulator.pullRequest(owner: Self.owner, repo: Self.repo, number: run.pull)?.body
            #expect(again == body)
        }
    }

    static func entry(_ run: Running) -> FollowUpLogEntry {
        FollowUpLogEntry(
            repositoryFullName: "\(owner)/\(repo)", pullNumber: run.pull, taskID: run.task,
            line: "- again \(FollowUpLog.marker(run.task))")
    }

    @Test func aConflictFailsNamingTheFilesAndLinkingTheAgentsWorkOnTheSideBranch() async throws {
        try await CallbackWorld.run { world in
            let run = try await Self.running(world)
            let human = try await world.emulator.pushCommit(
                owner: Self.owner, repo: Self.repo, branch: run.head, files: ["fix.txt": "the human's\n"])
            // The side branch existed already: the worker took its `-<attempt>` name.
            let side = run.sideBranch + "-1"
            let work = try await world.emulator.pushCommit(
                owner: Self.owner, repo: Self.repo, branch: side, files: ["fix.txt": "the agent's\n"],
                author: "porter[bot]", from: "main")

            let answer = try await Self.complete(
                world, run,
                [
                    "status": "failed", "branch": side, "head_sha": work, "side_branch": side,
                    "conflict_files": ["fix.txt", "docs/@team `notes`.md"],
                    "error": "the branch moved while the agent worked and its changes conflict in: fix.txt",
                ])
            #expect(answer.0 == 200, "\(answer.1)")
            #expect(try CallbackReceiverTests.json(answer.1)["task_status"] as? String == "failed")
            try await world.deliver()

            let status = try #require(Self.statusComments(world, run).first)
            #expect(status.contains("❌ failed"))
            #expect(
                status.contains(
                    "Someone pushed to `\(run.head)` while the agent worked, and its changes conflict in: "
                        + "`fix.txt`, ``docs/@team `notes`.md``."))
            #expect(
                status.contains(
                    "The agent's work is on [`\(side)`](\(world.emulator.baseURL)/acme/widgets/tree/\(side))."))
            #expect(world.emulator.pullRequests(owner: Self.owner, repo: Self.repo).count == 1)
            #expect(world.emulator.pullRequest(owner: Self.owner, repo: Self.repo, number: run.pull)?.headSHA == human)
            #expect(world.emulator.labels(owner: Self.owner, repo: Self.repo, issue: run.pull).isEmpty)
            let body = world.emulator.pullRequest(owner: Self.owner, repo: Self.repo, number: run.pull)?.body ?? ""
            #expect(!body.contains("porter:follow-ups"), "a failed follow-up adds no log line")

            let task = try await world.database.query(
                """
                SELECT t.status, t.status_reason, t.branch, t.pull_request_number, f.side_branch, f.conflict_files
                FROM tasks t JOIN task_follow_ups f ON f.task_id = t.id WHERE t.id = \(run.task)
                """
            ).collect().first!.decode((String, String?, String?, Int?, String?, [String]?).self)
            #expect(task.0 == "failed")
            #expect(task.1 == "the branch moved while the agent worked; its changes conflict in 2 files")
            #expect(task.2 == run.head, "the task's branch stays the pull request's")
            #expect(task.3 == nil)
            #expect(task.4 == side)
            #expect(task.5 == ["fix.txt", "docs/@team `notes`.md"])
        }
    }

    @Test func aSideBranchTheSpecDidNotNameIsRefusedAndNothingIsRecorded() async throws {
        try await CallbackWorld.run { world in
            let run = try await Self.running(world)
            let sha = try await world.emulator.pushCommit(
                owner: Self.owner, repo: Self.repo, branch: "elsewhere", files: ["x.txt": "x\n"])
            for side in ["main", "elsewhere", run.sideBranch + "-2", run.head] {
                let answer = try await Self.complete(
                    world, run, ["status": "timed_out", "branch": side, "head_sha": sha, "side_branch": side])
                #expect(answer.0 == 400, "\(side)")
                #expect(
                    answer.1.contains("side_branch must be \(run.sideBranch) or \(run.sideBranch)-1"), "\(answer.1)")
            }
            #expect(try await world.dispatch.status(run.task).0 == "running")
            let attempt = try await world.database.query(
                "SELECT reply IS NULL, state FROM task_attempts WHERE task_id = \(run.task)"
            ).collect().first!.decode((Bool, String).self)
            #expect(attempt.0, "no answer was recorded")
            let recorded = try await world.database.query(
                "SELECT side_branch FROM task_follow_ups WHERE task_id = \(run.task)"
            ).collect().first!.decode(String?.self)
            #expect(recorded == run.sideBranch)

            // The spec's own side branch is taken.
            let taken = try await Self.complete(
                world, run,
                ["status": "timed_out", "branch": run.sideBranch, "head_sha": sha, "side_branch": run.sideBranch])
            #expect(taken.0 == 200)
            try await world.deliver()
            let status = try #require(Self.statusComments(world, run).first)
            #expect(status.contains("⌛ timed out"))
            #expect(status.contains("/acme/widgets/tree/\(run.sideBranch))"))
            #expect(world.emulator.pullRequests(owner: Self.owner, repo: Self.repo).count == 1)
        }
    }

    @Test func anIssueTasksReportMayNotNameASideBranch() async throws {
        try await CallbackWorld.run { world in
            let (id, token) = try await CallbackReceiverTests.running(world)
            let answer = try await world.call(
                .POST, "/callbacks/complete", token: token,
                json: try CallbackReceiverTests.completion(id, ["status": "failed", "side_branch": "porter/x"]))
            #expect(answer.0 == 400)
            #expect(answer.1.contains("side_branch is only for follow-ups"))
            #expect(try await world.dispatch.status(id).0 == "running")
        }
    }
}
