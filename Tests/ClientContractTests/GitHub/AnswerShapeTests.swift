import Foundation
import PorterEmulators
import PorterKit
import Testing

/// GitHub answering in a shape Porter did not expect: fields Porter never reads missing, of another
/// type or new change nothing, and a pull request or comment whose answer cannot be read at all is
/// looked for, never made a second time.
@Suite struct AnswerShapeTests {
    typealias Reshape = FaultInjector.Reshape

    static func pushBranch(_ github: GitHubClient, _ world: GitHubWorld, port: Int, branch: String) async throws {
        let token = try await github.narrowedInstallationToken(
            installationID: world.installationID, repositories: ["widgets"], permissions: ["contents": "write"])
        try await GitCLI.pushBranch(
            from: "http://x-access-token:\(token.token)@127.0.0.1:\(port)/acme/widgets.git", base: "main",
            branch: branch, files: ["fix.txt": "fixed\n"])
    }

    static func open(_ github: GitHubClient, _ world: GitHubWorld, branch: String) async throws -> GitHubPullRequest {
        try await github.createPullRequest(
            installationID: world.installationID, owner: "acme", repo: "widgets",
            NewPullRequest(title: "Fix the flaky login test", head: branch, base: "main", draft: true))
    }

    @Test func answersWhoseUnreadFieldsAreMissingRetypedOrNewStillWork() async throws {
        let world = try await GitHubWorld.make()
        let id = world.installationID
        let emulator = world.emulator
        let commentID = try await emulator.comment(
            owner: "acme", repo: "widgets", issue: 1, author: "octocat", body: "@porter claude fix it")
        let reshapes: [Reshape] = [
            Reshape(
                method: "POST", pathPrefix: "/app/installations", remove: ["repository_selection"],
                set: ["permissions": #""all""#, "repositories": "7"]),
            Reshape(
                method: "POST", pathPrefix: "/repos/acme/widgets/issues/comments", remove: ["id", "content"],
                set: ["user": "null", "created_at": "false"]),
            Reshape(
                method: "POST", pathPrefix: "/repos/acme/widgets/issues/1/labels", remove: ["id", "color"],
                set: ["default": #""sometimes""#, "node_id": "12"]),
            Reshape(
                method: "POST", pathPrefix: "/repos/acme/widgets/issues/1/comments", remove: ["html_url", "node_id"],
                set: ["user.id": #""octo""#, "reactions": #""none""#, "author_association": "{}"]),
            Reshape(
                method: "GET", pathPrefix: "/repos/acme/widgets/issues/1", remove: ["id", "labels", "comments"],
                set: ["user.avatar_url": "3", "locked": #""no""#]),
            Reshape(
                method: "POST", pathPrefix: "/repos/acme/widgets/pulls",
                remove: ["id", "base.sha", "base.label", "head.label", "user", "merge_commit_sha"],
                set: ["head.repo.full_name": "7", "commits": #""many""#, "auto_merge": #"{"new":true}"#]),
            Reshape(
                method: "GET", pathPrefix: "/repos/acme/widgets/pulls", remove: ["base.sha", "user", "_links"],
                set: ["id": #""PR_1""#, "requested_reviewers": "3"]),
            Reshape(
                method: "GET", pathPrefix: "/repos/acme/widgets", remove: ["clone_url", "delete_branch_on_merge"],
                set: ["owner.id": #""acme""#, "topics": "false", "size": #""big""#]),
        ]
        for var reshape in reshapes {
            reshape.remaining = 1
            emulator.faults.add(reshape)
        }
        let (pull, fetched, comment, issue, repository) = try await world.live { github, port in
            try await Self.pushBranch(github, world, port: port, branch: "porter/task-9")
            try await github.addReaction(
                installationID: id, owner: "acme", repo: "widgets", commentID: commentID, content: .eyes)
            try await github.addLabels(
                installationID: id, owner: "acme", repo: "widgets", issue: 1, labels: ["porter:running"])
            let comment = try await github.createIssueComment(
                installationID: id, owner: "acme", repo: "widgets", issue: 1, body: "Working on it")
            let issue = try await github.issue(installationID: id, owner: "acme", repo: "widgets", number: 1)
            let pull = try await Self.open(github, world, branch: "porter/task-9")
            let fetched = try await github.pullRequest(
                installationID: id, owner: "acme", repo: "widgets", number: pull.number)
            let repository = try await github.repository(installationID: id, owner: "acme", repo: "widgets")
            return (pull, fetched, comment, issue, repository)
        }
        #expect(emulator.faults.injectedCount == reshapes.count, "every answer went out in its other shape")
        let pulls = emulator.pullRequests(owner: "acme", repo: "widgets")
        #expect(pulls.count == 1)
        #expect(pull.number == pulls.first?.number && pull.head.ref == "porter/task-9" && pull.draft == true)
        #expect(fetched.number == pull.number && fetched.base.ref == "main")
        #expect(emulator.reactions(commentID: commentID) == ["eyes"])
        #expect(emulator.labels(owner: "acme", repo: "widgets", issue: 1) == ["porter:running"])
        #expect(comment.body == "Working on it" && comment.user.login == "porter[bot]")
        #expect(issue.number == 1 && issue.title == "Flaky login test")
        #expect(repository.defaultBranch == "main" && repository.fullName == "acme/widgets")
    }

    /// How an answer to a create can be unreadable: a field Porter needs in another type, or no JSON.
    /// Either comes once; a second create would then get an answer with one more (harmless) field,
    /// which the injected count shows.
    enum Unreadable: CaseIterable, Sendable {
        case neededFieldRetyped, notJSON

        func inject(into faults: FaultInjector, path: String, field: String) {
            switch self {
            case .neededFieldRetyped:
                faults.add(Reshape(method: "POST", pathPrefix: path, set: [field: #"["seven"]"#], remaining: 1))
            case .notJSON:
                faults.add(
                    .init(
                        method: "POST", pathPrefix: path, status: 201, body: "<html>Created</html>", remaining: 1,
                        afterHandling: true))
            }
            faults.add(Reshape(method: "POST", pathPrefix: path, set: ["second_create": "true"], remaining: 1))
        }
    }

    @Test(arguments: Unreadable.allCases)
    func aPullRequestWhoseCreationAnswerCannotBeReadIsFoundByItsBranch(_ unreadable: Unreadable) async throws {
        let world = try await GitHubWorld.make()
        unreadable.inject(into: world.emulator.faults, path: "/repos/acme/widgets/pulls", field: "number")
        let pull = try await world.live { github, port in
            try await Self.pushBranch(github, world, port: port, branch: "porter/task-10")
            return try await Self.open(github, world, branch: "porter/task-10")
        }
        #expect(world.emulator.faults.injectedCount == 1, "created once, never a second time")
        let pulls = world.emulator.pullRequests(owner: "acme", repo: "widgets")
        #expect(pulls.count == 1)
        #expect(pull.number == pulls.first?.number && pull.head.ref == "porter/task-10")
    }

    /// Neither the create's answer nor the list of the branch's pull requests can be read: the call
    /// fails with an error worth waiting out (never a refusal that would give the pull request up),
    /// and the next call finds the one pull request instead of opening another.
    @Test func aPullRequestThatCannotBeFoundYetFailsTransientlyAndIsFoundLater() async throws {
        let world = try await GitHubWorld.make()
        let faults = world.emulator.faults
        let (failure, found) = try await world.live { github, port in
            try await Self.pushBranch(github, world, port: port, branch: "porter/task-11")
            faults.add(Reshape(method: "POST", pathPrefix: "/repos/acme/widgets/pulls", set: ["number": "null"]))
            faults.add(Reshape(method: "GET", pathPrefix: "/repos/acme/widgets/pulls", set: ["number": "null"]))
            let failure = await #expect(throws: GitHubError.self) {
                try await Self.open(github, world, branch: "porter/task-11")
            }
            faults.reset()
            return (failure, try await Self.open(github, world, branch: "porter/task-11"))
        }
        #expect(failure == .createdButUnread(operation: "create_pull_request"))
        #expect(failure.map { Failure.of($0) } == .transient)
        let pulls = world.emulator.pullRequests(owner: "acme", repo: "widgets")
        #expect(pulls.count == 1)
        #expect(found.number == pulls.first?.number)
    }

    @Test(arguments: Unreadable.allCases)
    func aCommentWhoseAnswerCannotBeReadFailsTransientlyNotAsARefusal(_ unreadable: Unreadable) async throws {
        let world = try await GitHubWorld.make()
        unreadable.inject(into: world.emulator.faults, path: "/repos/acme/widgets/issues/1/comments", field: "id")
        let failure = try await world.live { github, _ in
            await #expect(throws: GitHubError.self) {
                try await github.createIssueComment(
                    installationID: world.installationID, owner: "acme", repo: "widgets", issue: 1, body: "Queued")
            }
        }
        #expect(failure == .createdButUnread(operation: "create_issue_comment"))
        #expect(failure.map { Failure.of($0) } == .transient)
        #expect(world.emulator.faults.injectedCount == 1)
        #expect(world.emulator.comments(owner: "acme", repo: "widgets", issue: 1) == ["Queued"])
    }
}
