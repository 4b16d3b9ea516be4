import Foundation
import PorterEmulators
import PorterKit
import PorterTestSupport
import Testing

/// A follow-up on a pull request is checked as every task is (the requester's permission), then
/// against its pull request: merged, closed, a fork's branch, the default branch, a protected branch or
/// a pull request Porter did not open end it with a reply that says why and how to start again, and
/// nothing starts a worker or writes to the repository. One that passes gets a spec on the pull
/// request's head branch, with a prompt from the request and what it was made about, and its worker
/// starts; its status comment is on the pull request, which takes no status labels.
@Suite struct DispatchFollowUpTests {
    static let owner = GitHubWorld.owner
    static let repo = GitHubWorld.repo
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

    /// A follow-up on `pull` from `login`, asked for in a comment of `kind` (a line comment is on line 1
    /// of `fix.txt` of Porter's pull request, a review has one line comment there), stored as the gateway stores one, with its
    /// dispatch job.
    static func followUp(
        _ world: DispatchWorld, on pull: Int, of opened: UUID?, by login: String = "alice", role: String = "write",
        kind: CommentKind = .issueComment, request: String = "also cover logout"
    ) async throws -> UUID {
        world.emulator.setRole(owner: owner, repo: repo, user: login, role: role)
        let userID = people[login] ?? 599
        let known = try await world.database.query("SELECT count(*) FROM users WHERE id = \(userID)").collect()
        if try known.first?.decode(Int.self) == 0 {
            try await world.signUp(
                login, id: userID, secrets: ["ANTHROPIC_API_KEY": "sk-ant-\(login)-0123456789abcdef"])
        }
        let body = "@porter claude \(request)"
        let comment: Int?
        let place: FollowUpRequest
        switch kind {
        case .issueComment:
            comment = try await world.emulator.comment(owner: owner, repo: repo, issue: pull, author: login, body: body)
            place = FollowUpRequest(source: .conversation)
        case .reviewComment:
            let id = try await world.emulator.reviewComment(
                owner: owner, repo: repo, pull: pull, author: login, body: body, path: "fix.txt", line: 1)
            comment = id
            place = FollowUpRequest(
                source: .reviewComment, commentID: Int64(id), path: "fix.txt", line: 1, side: "RIGHT",
                diffHunk: "@@ -0,0 +1 @@\n+fixed")
        case .review:
            let review = try await world.emulator.submitReview(
                owner: owner, repo: repo, pull: pull, author: login, body: body,
                comments: [(path: "fix.txt", line: 1, body: "This line says fixed but nothing is tested.")])
            comment = nil
            place = FollowUpRequest(source: .review, reviewID: Int64(review))
        }
        return try await world.enqueue(
            NewTask(
                issue: IssueReference(
                    installationID: Int64(world.github.installationID), repositoryID: try await repositoryID(world),
                    repositoryFullName: "\(owner)/\(repo)", number: pull, isPullRequest: true),
                requester: Requester(id: userID, login: login),
                request: TaskRequest(agent: .claude, instructions: request),
                triggerCommentID: comment.map(Int64.init), kind: .followUp, followUpOf: opened,
                triggerCommentKind: kind, followUp: place))
    }

    /// What the dispatcher stored for a follow-up's worker.
    struct StoredSpec {
        var prompt: String
        var branch: String
        var base: String
        var headSHA: String
        var sideBranch: String
        var sequence: Int
    }

    static func spec(_ world: DispatchWorld, _ task: UUID) async throws -> StoredSpec? {
        let row = try await world.database.query(
            """
            SELECT t.prompt, t.branch, t.base_branch, f.head_sha, f.side_branch, f.sequence
            FROM tasks t JOIN task_follow_ups f ON f.task_id = t.id
            WHERE t.id = \(task) AND t.prompt IS NOT NULL
            """
        ).collect().first
        guard
            let (prompt, branch, base, head, side, sequence) = try row?.decode(
                (String, String, String, String, String, Int).self)
        else { return nil }
        return StoredSpec(
            prompt: prompt, branch: branch, base: base, headSHA: head, sideBranch: side, sequence: sequence)
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

    @Test func aLineCommentRunsOnThePullRequestsBranchWithItsHunkAndTheIssueInThePrompt() async throws {
        try await DispatchWorld.run { world in
            let (pull, opened) = try await Self.portersPullRequest(world)
            let head = try #require(world.emulator.pullRequest(owner: Self.owner, repo: Self.repo, number: pull))
            let task = try await Self.followUp(world, on: pull, of: opened, kind: .reviewComment)
            try await world.settle(world.dispatcher())

            #expect(try await world.status(task).0 == "running")
            #expect(world.fly.machines.count == 1)
            let spec = try #require(try await Self.spec(world, task))
            #expect(spec.branch == "porter/issue-1-abc")
            #expect(spec.base == "main")
            #expect(spec.headSHA == head.headSHA)
            #expect(spec.sideBranch == "porter/issue-1-abc-followup-1")
            #expect(spec.sequence == 1)
            for part in [
                "on branch `porter/issue-1-abc` of pull request #\(pull)", "also cover logout",
                "review comment on fix.txt line 1 (new code)", "+fixed", "Fix the widget", "Flaky login test",
                "It fails.", "Do not rewrite the branch's history",
            ] {
                #expect(spec.prompt.contains(part), "the prompt lacks \(part)")
            }
            // One status comment, on the pull request; no status labels there, nothing on the issue.
            let comments = world.emulator.comments(owner: Self.owner, repo: Self.repo, issue: pull)
            #expect(comments.count == 1)
            #expect(comments.first?.hasPrefix("**Porter** · ⚙️ running") == true, "\(comments)")
            #expect(world.emulator.labels(owner: Self.owner, repo: Self.repo, issue: pull).isEmpty)
            #expect(world.comments.isEmpty)
            #expect(world.labels.isEmpty)
            // 👀 on the line comment, at the line comments' endpoint.
            let comment = try #require(
                try await world.database.query("SELECT trigger_comment_id FROM tasks WHERE id = \(task)").collect()
                    .first?.decode(Int.self))
            #expect(world.emulator.reviewCommentReactions(commentID: comment) == ["eyes"])
            // Nothing was pushed by the dispatcher, and no pull request was opened.
            #expect(
                world.emulator.pullRequest(owner: Self.owner, repo: Self.repo, number: pull)?.headSHA == head.headSHA)
            #expect(world.emulator.pullRequests(owner: Self.owner, repo: Self.repo).count == 1)
        }
    }

    @Test func aReviewBringsEveryLineCommentAndAConversationCommentNone() async throws {
        try await DispatchWorld.run { world in
            let (pull, opened) = try await Self.portersPullRequest(world)
            let review = try await Self.followUp(world, on: pull, of: opened, kind: .review, request: "address these")
            let dispatcher = world.dispatcher()
            try await world.settle(dispatcher)
            let reviewed = try #require(try await Self.spec(world, review))
            #expect(reviewed.prompt.contains("This line says fixed but nothing is tested."))
            #expect(reviewed.prompt.contains("review comment on fix.txt line 1 (new code)"))
            #expect(reviewed.prompt.contains("@alice wrote"))

            // The next one waits behind it, saying so on the pull request.
            let next = try await Self.followUp(world, on: pull, of: opened, by: "bob", kind: .issueComment)
            try await world.settle(dispatcher)
            #expect(try await world.status(next).0 == "queued")
            let comments = world.emulator.comments(owner: Self.owner, repo: Self.repo, issue: pull)
            #expect(
                comments.contains {
                    $0.contains("Waiting for task `\(review.uuidString.lowercased())` on this pull request")
                },
                "\(comments)")
            // A conversation comment's 👀 is on the comment itself.
            let trigger = try #require(
                try await world.database.query("SELECT trigger_comment_id FROM tasks WHERE id = \(next)").collect()
                    .first?.decode(Int.self))
            #expect(world.emulator.reactions(commentID: trigger) == ["eyes"])

            // The first ends (as its worker's report would end it); the waiting job is woken.
            try await world.database.query("UPDATE tasks SET status = 'succeeded' WHERE id = \(review)")
            try await world.database.query("UPDATE jobs SET run_after = now() WHERE task_id = \(next)")
            try await world.settle(dispatcher)
            let asked = try #require(try await Self.spec(world, next))
            #expect(asked.sequence == 2)
            #expect(asked.sideBranch == "porter/issue-1-abc-followup-2")
            #expect(!asked.prompt.contains("review comment on"))
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
            #expect(try await world.status(allowed).0 == "running")
            #expect(try await Self.spec(world, allowed)?.branch == "feature")
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

    /// A retry of a follow-up is a follow-up on the same lines, checked and run alike.
    @Test func aRetriedFollowUpIsAFollowUpOnTheSameLines() async throws {
        try await DispatchWorld.run { world in
            let (pull, opened) = try await Self.portersPullRequest(world)
            let first = try await Self.followUp(
                world, on: pull, of: opened, by: "reader", role: "read", kind: .reviewComment)
            let dispatcher = world.dispatcher()
            try await world.settle(dispatcher)
            #expect(try await world.status(first).0 == "failed")

            world.emulator.setRole(owner: Self.owner, repo: Self.repo, user: "alice", role: "write")
            try await world.signUp("alice", id: 501, secrets: ["ANTHROPIC_API_KEY": "sk-ant-alice-0123456789abcdef"])
            try await world.command(.retry, by: "alice", issue: pull, repositoryID: try await Self.repositoryID(world))
            try await world.settle(dispatcher) {
                let tasks = try await world.tasks(issue: pull)
                return tasks.count == 2 && tasks[1].status == "running"
            }
            let tasks = try await world.tasks(issue: pull)
            try #require(tasks.count == 2)
            #expect(tasks[1].retryOf == first)
            let repository = PostgresTaskRepository(client: world.database, logger: TestDatabase.logger)
            let retried = try #require(try await repository.find(id: tasks[1].id))
            #expect(retried.kind == .followUp)
            #expect(retried.followUpOf == opened)
            let spec = try #require(try await Self.spec(world, retried.id))
            #expect(spec.prompt.contains("review comment on fix.txt line 1"))
            #expect(spec.sequence == 2)
        }
    }
}
