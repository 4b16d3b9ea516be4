import Foundation
import PorterEmulators
import PorterKit
import PorterTestSupport
import Testing

/// A follow-up on a pull request is checked as every task is (the requester's permission), then
/// against its pull request: merged, closed, a fork's branch, the default branch, a protected branch or
/// a pull request Porter did not open end it with a reply that says why and how to start again. One
/// that passes ends with a reply that this Porter does not run follow-ups yet: run as an issue task it
/// would open a second pull request. Nothing starts a worker, and nothing is written to the
/// repository.
@Suite struct DispatchFollowUpTests {
    static let owner = GitHubWorld.owner
    static let repo = GitHubWorld.repo
    static let lines = FollowUpRequest(
        source: .reviewComment, reviewID: 80, commentID: 9001, path: "README.md", line: 1, side: "RIGHT",
        diffHunk: "@@ -1 +1 @@\n-# Widgets\n+# Widgets!")

    /// Porter's pull request for issue #1: a branch with a commit, the pull request, and the task that
    /// opened it. Returns the pull request's number and the task.
    static func portersPullRequest(
        _ world: DispatchWorld, head: String = "porter/issue-1-abc"
    ) async throws -> (
        Int, UUID
    ) {
        _ = try await world.emulator.pushCommit(
            owner: owner, repo: repo, branch: head, files: ["fix.txt": "fixed\n"], message: "Fix", from: "main")
        let pull = try await world.emulator.addPullRequest(
            owner: owner, repo: repo, title: "Fix the widget", body: "Fixes #1", head: head, base: "main",
            author: "porter[bot]")
        let opened = try await PostgresTaskRepository(client: world.database, logger: TestDatabase.logger).create(
            NewTask(
                issue: IssueReference(
                    installationID: Int64(world.github.installationID), repositoryID: try await repositoryID(world),
                    repositoryFullName: "\(owner)/\(repo)", number: 1),
                requester: Requester(id: 501, login: "alice"), request: TaskRequest(agent: .claude, instructions: "x"))
        ).id
        try await world.database.query("UPDATE tasks SET pull_request_number = \(pull) WHERE id = \(opened)")
        return (pull, opened)
    }

    static func repositoryID(_ world: DispatchWorld) async throws -> Int64 {
        Int64(
            try await world.client.repository(installationID: world.github.installationID, owner: owner, repo: repo).id)
    }

    static let people: [String: Int64] = ["alice": 501, "bob": 502, "carol": 503, "reader": 504]

    /// A follow-up on `pull` from `login`, stored as the gateway stores one, with its dispatch job.
    static func followUp(
        _ world: DispatchWorld, on pull: Int, of opened: UUID?, by login: String = "alice", role: String = "write",
        kind: CommentKind = .reviewComment
    ) async throws -> UUID {
        world.emulator.setRole(owner: owner, repo: repo, user: login, role: role)
        let userID = people[login] ?? 599
        let known = try await world.database.query("SELECT count(*) FROM users WHERE id = \(userID)").collect()
        if try known.first?.decode(Int.self) == 0 {
            try await world.signUp(
                login, id: userID, secrets: ["ANTHROPIC_API_KEY": "sk-ant-\(login)-0123456789abcdef"])
        }
        let comment = try await world.emulator.comment(
            owner: owner, repo: repo, issue: pull, author: login, body: "@porter claude also cover logout")
        let task = try await PostgresTaskRepository(client: world.database, logger: TestDatabase.logger).create(
            NewTask(
                issue: IssueReference(
                    installationID: Int64(world.github.installationID), repositoryID: try await repositoryID(world),
                    repositoryFullName: "\(owner)/\(repo)", number: pull, isPullRequest: true),
                requester: Requester(id: userID, login: login),
                request: TaskRequest(agent: .claude, instructions: "also cover logout"),
                triggerCommentID: Int64(comment), kind: .followUp, followUpOf: opened, triggerCommentKind: kind,
                followUp: kind == .reviewComment ? lines : FollowUpRequest(source: .conversation)))
        try await PostgresJobQueue(client: world.database, logger: TestDatabase.logger).enqueue(
            .dispatch(task.id, priority: .normal))
        return task.id
    }

    /// The task ended failed with `reason`, one reply on the pull request starts with `reply`, and
    /// nothing ran: no attempt, no Machine, no label, no key read.
    static func expectRefused(
        _ world: DispatchWorld, _ task: UUID, on pull: Int, reason: String, reply: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let (status, why) = try await world.status(task)
        #expect(status == "failed", sourceLocation: sourceLocation)
        #expect(why == reason, sourceLocation: sourceLocation)
        let comments = world.emulator.comments(owner: owner, repo: repo, issue: pull)
        #expect(comments.filter { $0.hasPrefix(reply) }.count == 1, "\(comments)", sourceLocation: sourceLocation)
        #expect(world.emulator.labels(owner: owner, repo: repo, issue: pull).isEmpty, sourceLocation: sourceLocation)
        #expect(world.fly.machines.isEmpty, sourceLocation: sourceLocation)
        #expect(world.secrets.accesses.isEmpty, sourceLocation: sourceLocation)
        let attempts = try await world.database.query(
            "SELECT count(*) FROM task_attempts WHERE task_id = \(task)"
        ).collect().first?.decode(Int.self)
        #expect(attempts == 0, sourceLocation: sourceLocation)
    }

    @Test func aFollowUpThatPassesItsChecksIsToldFollowUpsAreNotAvailableYet() async throws {
        try await DispatchWorld.run { world in
            let (pull, opened) = try await Self.portersPullRequest(world)
            let head = try #require(world.emulator.pullRequest(owner: Self.owner, repo: Self.repo, number: pull))
            let task = try await Self.followUp(world, on: pull, of: opened)
            try await world.settle(world.dispatcher())
            try await Self.expectRefused(
                world, task, on: pull, reason: "follow-ups are not available yet",
                reply: "Follow-ups on pull requests are not available yet on this Porter.")
            // The line comment's id is not an issue comment's: no 👀 through the issue comments' endpoint.
            #expect(
                world.emulator.pullRequest(owner: Self.owner, repo: Self.repo, number: pull)?.headSHA == head.headSHA)
            #expect(world.comments.isEmpty)
        }
    }

    @Test func mergedClosedForkDefaultAndProtectedBranchesAreRefusedWithTheirReason() async throws {
        try await DispatchWorld.run { world in
            let dispatcher = world.dispatcher()
            let (merged, opened) = try await Self.portersPullRequest(world, head: "porter/issue-1-merged")
            _ = try await world.emulator.mergePullRequest(owner: Self.owner, repo: Self.repo, number: merged)
            let onMerged = try await Self.followUp(world, on: merged, of: opened)
            try await world.settle(dispatcher)
            try await Self.expectRefused(
                world, onMerged, on: merged, reason: "the pull request is merged",
                reply: "#\(merged) is already merged, so Porter will not add to its branch. To start again, comment "
                    + "`@porter <agent> …` on #1")

            let (closed, _) = try await Self.portersPullRequest(world, head: "porter/issue-1-closed")
            try await world.emulator.closePullRequest(owner: Self.owner, repo: Self.repo, number: closed)
            let onClosed = try await Self.followUp(world, on: closed, of: opened, by: "bob", kind: .issueComment)
            try await world.settle(dispatcher)
            try await Self.expectRefused(
                world, onClosed, on: closed, reason: "the pull request is closed", reply: "#\(closed) is closed")

            let (protected, _) = try await Self.portersPullRequest(world, head: "porter/issue-1-protected")
            try world.emulator.protectBranch(owner: Self.owner, repo: Self.repo, branch: "porter/issue-1-protected")
            let onProtected = try await Self.followUp(world, on: protected, of: opened, by: "carol")
            try await world.settle(dispatcher)
            try await Self.expectRefused(
                world, onProtected, on: protected,
                reason: "the pull request's branch porter/issue-1-protected is protected",
                reply: "`porter/issue-1-protected` is a protected branch")
        }
    }

    @Test func aForksBranchAndTheDefaultBranchAreNeverPushedTo() async throws {
        try await DispatchWorld.run { world in
            let dispatcher = world.dispatcher(DispatchWorld.Options(followUpsOnAnyPullRequest: true))
            _ = try await world.emulator.forkRepository(owner: Self.owner, repo: Self.repo, into: "mallory")
            _ = try await world.emulator.pushCommit(
                owner: "mallory", repo: Self.repo, branch: "evil", files: ["x.txt": "x\n"], from: "main")
            let fork = try await world.emulator.addPullRequest(
                owner: Self.owner, repo: Self.repo, title: "From a fork", head: "evil", base: "main",
                author: "mallory", headOwner: "mallory")
            let onFork = try await Self.followUp(world, on: fork, of: nil)
            try await world.settle(dispatcher)
            try await Self.expectRefused(
                world, onFork, on: fork, reason: "the pull request comes from a fork",
                reply: "#\(fork) comes from a fork. Porter only pushes to branches of this repository.")

            _ = try await world.emulator.pushCommit(
                owner: Self.owner, repo: Self.repo, branch: "release", files: ["r.txt": "r\n"], from: "main")
            let fromMain = try await world.emulator.addPullRequest(
                owner: Self.owner, repo: Self.repo, title: "Main into release", head: "main", base: "release",
                author: "octocat")
            let onMain = try await Self.followUp(world, on: fromMain, of: nil, by: "bob")
            try await world.settle(dispatcher)
            try await Self.expectRefused(
                world, onMain, on: fromMain, reason: "the pull request's branch main is the default branch",
                reply: "#\(fromMain) is opened from `main`, the default branch.")
        }
    }

    @Test func aPullRequestPorterDidNotOpenIsRefusedUnlessAnyMayBeFollowedUp() async throws {
        try await DispatchWorld.run { world in
            _ = try await world.emulator.pushCommit(
                owner: Self.owner, repo: Self.repo, branch: "feature", files: ["f.txt": "f\n"], from: "main")
            let pull = try await world.emulator.addPullRequest(
                owner: Self.owner, repo: Self.repo, title: "A person's work", head: "feature", base: "main",
                author: "octocat")
            let refused = try await Self.followUp(world, on: pull, of: nil)
            try await world.settle(world.dispatcher())
            try await Self.expectRefused(
                world, refused, on: pull, reason: "Porter did not open the pull request",
                reply: "Porter follows up only on pull requests it opened.")

            let allowed = try await Self.followUp(world, on: pull, of: nil, by: "bob")
            try await world.settle(world.dispatcher(DispatchWorld.Options(followUpsOnAnyPullRequest: true)))
            #expect(try await world.status(allowed).1 == "follow-ups are not available yet")
        }
    }

    @Test func aCommenterWhoMayOnlyReadIsRefusedBeforeThePullRequestIsRead() async throws {
        try await DispatchWorld.run { world in
            let (pull, opened) = try await Self.portersPullRequest(world)
            let task = try await Self.followUp(world, on: pull, of: opened, by: "reader", role: "read")
            try await world.settle(world.dispatcher())
            try await Self.expectRefused(
                world, task, on: pull, reason: "@reader has read permission",
                reply: "@reader Porter runs tasks only for people with write, maintain or admin permission")
        }
    }

    /// A retry of a follow-up is a follow-up on the same lines, so it is checked and refused alike.
    @Test func aRetriedFollowUpIsAFollowUpAndIsRefusedAlike() async throws {
        try await DispatchWorld.run { world in
            let (pull, opened) = try await Self.portersPullRequest(world)
            let first = try await Self.followUp(world, on: pull, of: opened, kind: .issueComment)
            let dispatcher = world.dispatcher()
            try await world.settle(dispatcher)
            #expect(try await world.status(first).0 == "failed")

            try await world.command(.retry, by: "alice", issue: pull, repositoryID: try await Self.repositoryID(world))
            try await world.settle(dispatcher) {
                let tasks = try await world.tasks(issue: pull)
                return tasks.count == 2 && tasks[1].status == "failed"
            }
            let tasks = try await world.tasks(issue: pull)
            try #require(tasks.count == 2)
            #expect(tasks[1].retryOf == first)
            let repository = PostgresTaskRepository(client: world.database, logger: TestDatabase.logger)
            let retried = try #require(try await repository.find(id: tasks[1].id))
            #expect(retried.kind == .followUp)
            #expect(retried.followUpOf == opened)
            #expect(try await world.status(retried.id).1 == "follow-ups are not available yet")
            #expect(world.fly.machines.isEmpty)
        }
    }
}
