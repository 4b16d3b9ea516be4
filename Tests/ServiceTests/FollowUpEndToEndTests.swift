import Foundation
import Hummingbird
import HummingbirdTesting
import PorterEmulators
import PorterKit
import PorterTestSupport
import PostgresNIO
import Testing
import _CryptoExtras

/// Follow-ups as a reviewer asks for them: comments, line comments and reviews on the GitHub emulator
/// become signed webhooks to the real webhook-gateway, the real dispatcher starts the real worker
/// entrypoint (the stand-in agent plays `claude`), and the real callback-receiver takes its report.
/// The worker needs root to keep the push token from the agent, as in production.
@Suite(.timeLimit(.minutes(6)), .enabled(if: geteuid() == 0, "the worker entrypoint runs as root"))
struct FollowUpEndToEndTests {
    static let owner = "acme"
    static let repo = "widgets"

    @Test func aConversationCommentALineCommentAndAReviewEachAddACommitToTheSameBranch() async throws {
        try await FollowUpStack.run { stack in
            let (pull, head) = try await stack.portersPullRequest()
            var commits = try await stack.commits(head).count

            let conversation = try await stack.github.comment(
                owner: Self.owner, repo: Self.repo, issue: pull, author: "alice",
                body: "@porter claude quickly add a line to the changelog")
            let first = try await stack.finished(triggeredBy: conversation)
            #expect(first.status == "succeeded", "\(first)")
            #expect(try await stack.commits(head).count == commits + 1)
            commits += 1

            let line = try await stack.github.reviewComment(
                owner: Self.owner, repo: Self.repo, pull: pull, author: "alice",
                body: "@porter claude quickly say which change this is", path: "CHANGES.md", line: 1)
            let second = try await stack.finished(triggeredBy: line)
            #expect(second.status == "succeeded", "\(second)")
            #expect(try await stack.commits(head).count == commits + 1)
            commits += 1
            #expect(stack.github.reviewCommentReactions(commentID: line) == ["eyes"])
            // The prompt the agent received (it saved it as prompts/3.md) holds the line comment's place
            // and its hunk.
            let prompt = try #require(
                await stack.github.fileText(owner: Self.owner, repo: Self.repo, path: "prompts/3.md", ref: head))
            #expect(prompt.contains("review comment on CHANGES.md line 1 (new code)"), "\(prompt)")
            #expect(prompt.contains("+- change 1"), "\(prompt)")
            #expect(prompt.contains("say which change this is"))

            try await stack.github.submitReview(
                owner: Self.owner, repo: Self.repo, pull: pull, author: "alice",
                body: "@porter claude quickly address these",
                comments: [(path: "CHANGES.md", line: 1, body: "Mention the tests here.")])
            let third = try await stack.finished(reviewOn: pull)
            #expect(third.status == "succeeded", "\(third)")
            #expect(try await stack.commits(head).count == commits + 1)
            let reviewPrompt = try #require(
                await stack.github.fileText(owner: Self.owner, repo: Self.repo, path: "prompts/4.md", ref: head))
            #expect(reviewPrompt.contains("Mention the tests here."))

            // One pull request; one status comment per follow-up, on it, and none on the issue.
            #expect(stack.github.pullRequests(owner: Self.owner, repo: Self.repo).count == 1)
            let onPull = stack.github.comments(owner: Self.owner, repo: Self.repo, issue: pull)
            let onIssue = stack.github.comments(owner: Self.owner, repo: Self.repo, issue: 1)
            for task in [first, second, third] {
                let page = "/tasks/\(task.id.uuidString.lowercased())"
                #expect(onPull.filter { $0.contains(page) }.count == 1, "\(onPull)")
                #expect(!onIssue.contains { $0.contains(page) })
            }
            #expect(onPull.filter { $0.hasPrefix("**Porter** · ✅ succeeded") }.count == 3, "\(onPull)")
            #expect(stack.github.labels(owner: Self.owner, repo: Self.repo, issue: pull) == ["porter"])
            // The description keeps a line per follow-up.
            let body = stack.github.pullRequest(owner: Self.owner, repo: Self.repo, number: pull)?.body ?? ""
            for task in [first, second, third] {
                #expect(body.contains("porter:follow-up:\(task.id.uuidString.lowercased())"), "\(body)")
            }
        }
    }

    @Test func aPushDuringTheRunIsRebasedOverOrEndsOnASideBranchNamingTheConflict() async throws {
        try await FollowUpStack.run { stack in
            let (pull, head) = try await stack.portersPullRequest()

            // Someone pushes another file while the agent works: its commit goes on top of theirs.
            let gate = "/tmp/porter-go-\(UUID().uuidString.lowercased())"
            let clean = try await stack.github.comment(
                owner: Self.owner, repo: Self.repo, issue: pull, author: "alice",
                body: "@porter claude quickly wait-for \(gate) then finish")
            try await stack.waitForFile(gate + ".waiting")
            let human = try await stack.github.pushCommit(
                owner: Self.owner, repo: Self.repo, branch: head, files: ["other.txt": "by bob\n"],
                message: "Bob's change", author: "bob")
            #expect(FileManager.default.createFile(atPath: gate, contents: nil))
            defer { try? FileManager.default.removeItem(atPath: gate) }
            let rebased = try await stack.finished(triggeredBy: clean)
            #expect(rebased.status == "succeeded", "\(rebased)")
            let messages = try await stack.commits(head)
            #expect(messages.first?.hasPrefix("Follow-up on #\(pull)") == true, "\(messages)")
            #expect(messages.dropFirst().first?.hasPrefix("Bob's change") == true, "\(messages)")
            #expect(
                await stack.github.fileText(owner: Self.owner, repo: Self.repo, path: "other.txt", ref: head)
                    == "by bob\n")
            let onto = try await stack.database.query(
                "SELECT rebased_onto FROM task_follow_ups WHERE task_id = \(rebased.id)"
            ).collect().first?.decode(String?.self)
            #expect(onto == human, "the report says what the commits were rebased onto")

            // Someone changes the line the agent changes: the branch stays theirs, the agent's work goes
            // to a side branch, and the task fails naming the file.
            let conflictGate = "/tmp/porter-go-\(UUID().uuidString.lowercased())"
            let conflicting = try await stack.github.comment(
                owner: Self.owner, repo: Self.repo, issue: pull, author: "alice",
                body: "@porter claude quickly edit-shared wait-for \(conflictGate) then finish")
            try await stack.waitForFile(conflictGate + ".waiting")
            let theirs = try await stack.github.pushCommit(
                owner: Self.owner, repo: Self.repo, branch: head,
                files: ["shared.txt": "shared, as bob wrote it\nsecond line\n"], message: "Bob edits shared.txt",
                author: "bob")
            #expect(FileManager.default.createFile(atPath: conflictGate, contents: nil))
            defer { try? FileManager.default.removeItem(atPath: conflictGate) }
            let conflict = try await stack.finished(triggeredBy: conflicting)
            #expect(conflict.status == "failed", "\(conflict)")
            #expect(stack.github.pullRequest(owner: Self.owner, repo: Self.repo, number: pull)?.headSHA == theirs)
            let side = "\(head)-followup-2"
            #expect(try await stack.github.branches(owner: Self.owner, repo: Self.repo).contains(side))
            #expect(
                await stack.github.fileText(owner: Self.owner, repo: Self.repo, path: "shared.txt", ref: side)?
                    .hasPrefix("shared, as the agent wrote it") == true)
            let final = try #require(
                stack.github.comments(owner: Self.owner, repo: Self.repo, issue: pull).first {
                    $0.contains("/tasks/\(conflict.id.uuidString.lowercased())")
                })
            #expect(final.contains("shared.txt"), "\(final)")
            #expect(final.contains(side), "\(final)")
        }
    }

    @Test func aReaderAMergedPullRequestAndARedeliveryStartNothing() async throws {
        try await FollowUpStack.run { stack in
            let (pull, head) = try await stack.portersPullRequest()
            let before = stack.github.pullRequest(owner: Self.owner, repo: Self.repo, number: pull)?.headSHA

            let byReader = try await stack.github.comment(
                owner: Self.owner, repo: Self.repo, issue: pull, author: "reader", body: "@porter claude quickly more")
            let refused = try await stack.finished(triggeredBy: byReader)
            #expect(refused.status == "failed")
            #expect(try await stack.attempts(refused.id) == 0)
            #expect(
                stack.github.comments(owner: Self.owner, repo: Self.repo, issue: pull).contains {
                    $0.hasPrefix("@reader Porter runs tasks only for people with write, maintain or admin permission")
                })
            // GitHub's redelivery of that comment makes no second task.
            let delivery = try #require(
                stack.github.deliveries.last { $0.event == "issue_comment" && $0.action == "created" })
            try await stack.github.redeliver(guid: delivery.guid)
            #expect(try await stack.count("tasks", where: "kind = 'follow_up'") == 1)

            _ = try await stack.github.mergePullRequest(owner: Self.owner, repo: Self.repo, number: pull)
            let afterMerge = try await stack.github.comment(
                owner: Self.owner, repo: Self.repo, issue: pull, author: "alice", body: "@porter claude quickly more")
            let late = try await stack.finished(triggeredBy: afterMerge)
            #expect(late.status == "failed")
            #expect(try await stack.attempts(late.id) == 0)
            let merged = "#\(pull) is already merged, so Porter will not add to its branch."
            #expect(
                stack.github.comments(owner: Self.owner, repo: Self.repo, issue: pull).contains {
                    $0.contains(merged) && $0.contains("on #1")
                })

            let retry = try await stack.github.comment(
                owner: Self.owner, repo: Self.repo, issue: pull, author: "alice", body: "@porter retry")
            try await stack.eventually {
                stack.github.comments(owner: Self.owner, repo: Self.repo, issue: pull).filter {
                    $0.hasPrefix("@alice") && $0.contains(merged)
                }.count == 1 && stack.github.reactions(commentID: retry) == ["eyes"] ? true : nil
            }
            #expect(try await stack.count("tasks") == 3, "the retry created nothing")
            #expect(stack.github.pullRequests(owner: Self.owner, repo: Self.repo).count == 1)
            #expect(try await stack.commitSHA(head) == before)
        }
    }
}

/// GitHub emulated in-process, the gateway, dispatcher and callback-receiver binaries, and local
/// workers running the real entrypoint with the stand-in agent.
struct FollowUpStack {
    let github: GitHubEmulator
    let database: PostgresClient

    static func run(_ body: @escaping @Sendable (FollowUpStack) async throws -> Void) async throws {
        let publicKey = try _RSA.Signing.PrivateKey(pemRepresentation: ServiceEnvironment.appPrivateKeyPEM).publicKey
        let github = try GitHubEmulator(
            app: EmulatedGitHubApp(id: 12345, slug: "porter", publicKeyPEM: publicKey.pemRepresentation))
        _ = try await github.addRepository(
            owner: "acme", name: "widgets",
            files: ["README.md": "# Widgets\n", "shared.txt": "shared\nsecond line\n"])
        _ = github.addInstallation(account: "acme")
        _ = github.addIssue(owner: "acme", repo: "widgets", title: "The widget is broken", author: "acme")
        github.setRole(owner: "acme", repo: "widgets", user: "alice", role: "write")
        github.setRole(owner: "acme", repo: "widgets", user: "reader", role: "read")
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let key = ["PORTER_DEFAULT_ANTHROPIC_API_KEY": "sk-ant-api03-operator0123456789abcdefghijkl"]
        try await TestDatabase.withClient { database, url in
            try await Application(router: github.router()).test(.live) { client in
                github.baseURL = "http://127.0.0.1:\(client.port!)"
                let urls = ["GITHUB_API_URL": github.baseURL, "GITHUB_URL": github.baseURL]
                let gatewayPort = try ServiceProcess.freePort()
                var gatewayEnv = ServiceEnvironment.minimal(for: "webhook-gateway", database: url, port: gatewayPort)
                gatewayEnv["GITHUB_APP_SLUG"] = "porter"
                let gateway = try ServiceProcess.start("webhook-gateway", environment: gatewayEnv, port: gatewayPort)
                defer { gateway.terminate() }
                let callbackPort = try ServiceProcess.freePort()
                let callback = try ServiceProcess.start(
                    "callback-receiver",
                    environment: ServiceEnvironment.minimal(for: "callback-receiver", database: url, port: callbackPort)
                        .merging(urls) { $1 }.merging(key) { $1 }.merging(["GITHUB_APP_SLUG": "porter"]) { $1 },
                    port: callbackPort)
                defer { callback.terminate() }
                let dispatcherPort = try ServiceProcess.freePort()
                let dispatcher = try ServiceProcess.start(
                    "dispatcher",
                    environment: ServiceEnvironment.minimal(for: "dispatcher", database: url, port: dispatcherPort)
                        .merging(urls) { $1 }.merging(key) { $1 }
                        .merging([
                            "PORTER_WORKER_COMMAND": root.appendingPathComponent("Tests/Browser/browser-worker").path,
                            "PORTER_CALLBACK_URL": "http://127.0.0.1:\(callbackPort)",
                        ]) { $1 }, port: dispatcherPort)
                defer { dispatcher.terminate() }
                try await gateway.waitUntilServing()
                try await callback.waitUntilServing()
                try await dispatcher.waitUntilServing()
                github.configureWebhooks(
                    url: "http://127.0.0.1:\(gatewayPort)/webhooks/github", secret: "test-webhook-secret")
                try await body(FollowUpStack(github: github, database: database))
            }
        }
    }

    /// `@porter claude` on issue #1, run to its pull request: the pull request's number and branch.
    func portersPullRequest() async throws -> (Int, String) {
        let comment = try await github.comment(
            owner: "acme", repo: "widgets", issue: 1, author: "alice", body: "@porter claude quickly fix it")
        let task = try await finished(triggeredBy: comment)
        guard task.status == "succeeded" else { throw TestSetupError("the issue's task ended \(task)") }
        let pull = try await eventually {
            try await database.query("SELECT pull_request_number FROM tasks WHERE id = \(task.id)").collect().first?
                .decode(Int?.self)
        }
        guard let head = github.pullRequest(owner: "acme", repo: "widgets", number: pull)?.head else {
            throw TestSetupError("pull request #\(pull) is not on GitHub")
        }
        return (pull, head)
    }

    struct Finished: CustomStringConvertible {
        var id: UUID
        var status: String
        var reason: String?
        var description: String { "\(id): \(status) (\(reason ?? "no reason"))" }
    }

    /// The task the comment `commentID` asked for, once it ended and its final status comment is out.
    func finished(triggeredBy commentID: Int) async throws -> Finished {
        try await finished(where: "trigger_comment_id = \(commentID)")
    }

    /// The newest follow-up asked for in a review of `pull`, once it ended.
    func finished(reviewOn pull: Int) async throws -> Finished {
        try await finished(where: "issue_number = \(pull) AND trigger_comment_kind = 'review'")
    }

    private func finished(where condition: String) async throws -> Finished {
        let ended = try await eventually {
            try await database.query(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT id, status, status_reason FROM tasks
                        WHERE \(condition) AND status IN ('succeeded', 'failed', 'timed_out', 'cancelled')
                        ORDER BY created_at DESC LIMIT 1
                        """)
            ).collect().first?.decode((UUID, String, String?).self)
        }
        let task = Finished(id: ended.0, status: ended.1, reason: ended.2)
        // The final form of the status comment follows through the side-effect queue.
        try await eventually {
            try await count(
                "github_side_effects", where: "task_id = '\(task.id)' AND state = 'pending'") == 0
                ? true : nil
        }
        return task
    }

    func commits(_ branch: String) async throws -> [String] {
        try await github.commitMessages(owner: "acme", repo: "widgets", ref: branch)
    }

    func commitSHA(_ branch: String) async throws -> String? {
        github.pullRequests(owner: "acme", repo: "widgets").first { $0.head == branch }?.headSHA
    }

    func attempts(_ task: UUID) async throws -> Int {
        try await count("task_attempts", where: "task_id = '\(task)'")
    }

    func count(_ table: String, where condition: String = "true") async throws -> Int {
        try await database.query(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table) WHERE \(condition)"))
            .collect().first!.decode(Int.self)
    }

    func waitForFile(_ path: String) async throws {
        try await eventually { FileManager.default.fileExists(atPath: path) ? true : nil }
    }

    /// Polls `probe` until it gives a value, for at most two minutes (a worker clones, runs and pushes).
    @discardableResult
    func eventually<T>(_ probe: () async throws -> T?) async throws -> T {
        let end = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < end {
            if let value = try await probe() { return value }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw TestSetupError("the condition was not met within two minutes")
    }
}
