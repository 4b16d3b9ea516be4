import Foundation
import HTTPTypes
import PorterEmulators
import PorterKit
import PorterTestSupport
import PostgresNIO
import Testing

@testable import WebAPI

/// `/review` and `/review/<task id>` against the GitHub emulator, with the signed-in person's own
/// token: the queue, the diff of every file, and merge, mark ready, close and request changes as
/// GitHub allows them to that person.
@Suite(.timeLimit(.minutes(4))) struct WebReviewTests {
    /// A task that opened pull request `branch` on acme/<repository> (pushing `files` to it first),
    /// as the callback records it.
    @discardableResult
    func opened(
        _ world: WebWorld, branch: String, files: [String: String], title: String, draft: Bool = false,
        requester: String = "octo", agent: Agent = .claude, repository: String = "widgets", repositoryID: Int? = nil
    ) async throws -> (task: UUID, number: Int) {
        if !files.isEmpty {
            try await world.github.pushCommit(
                owner: "acme", repo: repository, branch: branch, files: files, message: "Work on \(title)",
                author: "porter[bot]")
        }
        let number = try await world.github.addPullRequest(
            owner: "acme", repo: repository, title: title, body: "Closes #1", head: branch, author: "porter[bot]",
            draft: draft)
        let tasks = PostgresTaskRepository(client: world.database, logger: TestDatabase.logger)
        let task = try await tasks.create(
            NewTask(
                issue: IssueReference(
                    installationID: Int64(world.installationID),
                    repositoryID: Int64(repositoryID ?? world.repositoryID),
                    repositoryFullName: "acme/\(repository)", number: 1),
                requester: Requester(id: Int64(world.github.addUser(requester)), login: requester),
                request: TaskRequest(agent: agent, model: "opus", instructions: "fix it")))
        for next in [TaskStatus.dispatching, .running, .succeeded] {
            _ = try await tasks.transition(id: task.id, to: next, reason: nil)
        }
        try await world.database.query(
            """
            UPDATE tasks SET pull_request_number = \(number), branch = \(branch), pull_request_state = 'open',
                pull_request_url = \("https://github.com/acme/\(repository)/pull/\(number)"), issue_title = \(title)
            WHERE id = \(task.id)
            """)
        try await world.database.query(
            """
            INSERT INTO task_attempts (task_id, number, runtime, machine_name, state, summary)
            VALUES (\(task.id), 1, 'local', \("worker-\(task.id)"), 'finished', \("Fixed \(title.lowercased()) and added a test."))
            """)
        return (task.id, number)
    }

    /// The error code of an API answer.
    static func code(_ page: Page) -> String? { (try? page.json())?["error"] as? String }

    @Test func theQueueListsOpenPullRequestsReadyFirstWithTheirChecksAndReviews() async throws {
        try await WebWorld.run { world in
            let browser = try await world.signedIn("octo")
            let failing = try await opened(world, branch: "porter/1-failing", files: ["a.txt": "a\n"], title: "Failing")
            let ready = try await opened(
                world, branch: "porter/2-ready", files: ["b.txt": "b\nb\n"], title: "Ready one")
            let draft = try await opened(
                world, branch: "porter/3-draft", files: ["c.txt": "c\n"], title: "Still a draft", draft: true)
            let merged = try await opened(
                world, branch: "porter/4-merged", files: ["d.txt": "d\n"], title: "Merged one")
            try await world.database.query(
                "UPDATE tasks SET pull_request_state = 'merged' WHERE id = \(merged.task)")
            let failingHead = try #require(
                await world.github.branchSHA(owner: "acme", repo: "widgets", branch: "porter/1-failing"))
            try await world.github.addCheckRun(
                owner: "acme", repo: "widgets", sha: failingHead, name: "tests", status: "completed",
                conclusion: "failure")
            let readyHead = try #require(
                await world.github.branchSHA(owner: "acme", repo: "widgets", branch: "porter/2-ready"))
            try await world.github.addCheckRun(
                owner: "acme", repo: "widgets", sha: readyHead, name: "tests", status: "completed",
                conclusion: "success")

            let answer = try await browser.get("/api/review")
            #expect(answer.status == .ok)
            let items = try #require(try answer.json()["pullRequests"] as? [[String: Any]])
            #expect(items.map { $0["title"] as? String } == ["Ready one", "Still a draft", "Failing"])
            #expect(
                items.map { $0["taskId"] as? String }
                    == [ready.task, draft.task, failing.task].map { $0.uuidString.lowercased() })
            #expect(items.map { $0["readiness"] as? String } == ["ready", "draft", "needsWork"])
            #expect(items.map { $0["checks"] as? String } == ["passing", "none", "failing"])
            #expect(items[0]["additions"] as? Int == 2 && items[0]["deletions"] as? Int == 0)
            #expect(items[0]["changedFiles"] as? Int == 1)
            #expect(items[0]["review"] as? String == "none")
            #expect(items[2]["label"] as? String == "Checks failing")

            let page = try await browser.get("/review")
            #expect(page.status == .ok)
            let order = ["Ready one", "Still a draft", "Failing"].map { page.body.range(of: $0)?.lowerBound }
            #expect(order.allSatisfy { $0 != nil } && order == order.sorted { $0! < $1! }, "ready first on the page")
            #expect(!page.body.contains("Merged one"))
            #expect(page.body.contains(#"aria-current="page"><svg"#) && page.body.contains("Review</a>"))

            // Someone with no role on acme/widgets sees none of it.
            let stranger = try await world.signedIn("stranger")
            let theirs = try await stranger.get("/api/review")
            #expect((try theirs.json()["pullRequests"] as? [Any])?.isEmpty == true)
            #expect(try await stranger.get("/review").body.contains("Nothing to review"))
        }
    }

    @Test func thePageShowsEveryFileRenamesBinariesAndLargeDiffsInBothViews() async throws {
        try await WebWorld.run { world in
            let browser = try await world.signedIn("octo")
            try await world.github.pushCommit(
                owner: "acme", repo: "widgets", branch: "main",
                files: ["old-name.txt": "kept\nas it was\n", "gone.txt": "bye\n"])
            var files: [String: String] = [:]
            for index in 1...300 { files["many/file-\(index).txt"] = "line \(index)\n" }
            files["big.txt"] = String(repeating: "0123456789abcdef\n", count: 5 * 1024 * 1024 / 17)
            files["app.swift"] = "let greeting = \"<b>hello</b>\"\nprint(greeting)\n"
            try await world.github.pushCommit(
                owner: "acme", repo: "widgets", branch: "porter/7-many", files: files, from: "main")
            try await world.github.pushCommit(
                owner: "acme", repo: "widgets", branch: "porter/7-many",
                binaryFiles: ["logo.png": Data([0x89, 0x50, 0x4E, 0x47, 0, 1, 2, 3, 0, 255])], deletions: ["gone.txt"],
                renames: ["old-name.txt": "new-name.txt"], message: "Rename and binary")
            let (task, _) = try await opened(world, branch: "porter/7-many", files: [:], title: "Many files")
            let id = task.uuidString.lowercased()

            let api = try await browser.get("/api/review/\(id)", patience: .seconds(120))
            #expect(api.status == .ok)
            let review = try api.json()
            let listed = try #require(review["files"] as? [[String: Any]])
            #expect(listed.count == 300 + 5, "every page of files: \(listed.count)")
            let byName = Dictionary(listed.map { ($0["filename"] as? String ?? "", $0) }) { first, _ in first }
            #expect(byName["new-name.txt"]?["previousFilename"] as? String == "old-name.txt")
            #expect(byName["new-name.txt"]?["status"] as? String == "renamed")
            #expect(byName["gone.txt"]?["status"] as? String == "removed")
            #expect(byName["logo.png"]?["binary"] as? Bool == true && byName["logo.png"]?["patch"] == nil)
            #expect(byName["big.txt"]?["patch"] == nil && byName["big.txt"]?["binary"] as? Bool == false)
            #expect((byName["app.swift"]?["patch"] as? String)?.contains("+print(greeting)") == true)
            #expect(
                review["headSha"] as? String
                    == (await world.github.branchSHA(owner: "acme", repo: "widgets", branch: "porter/7-many")))
            #expect(review["mergeMethods"] as? [String] == ["squash", "merge", "rebase"])
            #expect(review["summary"] as? String == "Fixed many files and added a test.")

            let unified = try await browser.get("/review/\(id)", patience: .seconds(120))
            #expect(unified.status == .ok)
            #expect(unified.body.contains(#"class="diff unified""#) && !unified.body.contains(#"class="diff split""#))
            #expect(unified.body.contains("let greeting = &quot;&lt;b&gt;hello&lt;/b&gt;&quot;"))
            #expect(!unified.body.contains("<b>hello</b>"))
            #expect(unified.body.contains("old-name.txt → new-name.txt"))
            #expect(unified.body.contains("Binary file, or no text change to show."))
            #expect(unified.body.contains("diff is too large to show"))
            #expect(unified.body.contains("Fixed many files and added a test."))
            #expect(unified.body.contains(#"<tr class="added" data-line="2" data-side="RIGHT">"#))
            let split = try await browser.get("/review/\(id)?view=split", patience: .seconds(120))
            #expect(split.body.contains(#"class="diff split""#) && !split.body.contains(#"class="diff unified""#))
            #expect(split.body.contains(#"<td class="code added" data-line="1" data-side="RIGHT">line 1</td>"#))
        }
    }

    @Test func aMergeIsPinnedToTheCommitTheReviewerSaw() async throws {
        try await WebWorld.run { world in
            let browser = try await world.signedIn("octo")
            let (task, number) = try await opened(world, branch: "porter/8-merge", files: ["m.txt": "m\n"], title: "M")
            let id = task.uuidString.lowercased()
            let seen = try #require(try await browser.get("/api/review/\(id)").json()["headSha"] as? String)
            let baseBefore = await world.github.branchSHA(owner: "acme", repo: "widgets", branch: "main")
            // Someone pushes after the page was read.
            try await world.github.pushCommit(
                owner: "acme", repo: "widgets", branch: "porter/8-merge", files: ["m.txt": "changed\n"],
                author: "mallory")
            let refused = try await browser.send(
                .put, "/api/review/\(id)/merge", json: #"{"sha": "\#(seen)", "method": "squash"}"#)
            #expect(refused.status == .conflict)
            #expect(try refused.json()["error"] as? String == "head_moved")
            #expect((try refused.json()["message"] as? String)?.contains("pushed after you loaded this page") == true)
            #expect(world.github.pullRequest(owner: "acme", repo: "widgets", number: number)?.state == "open")
            #expect(await world.github.branchSHA(owner: "acme", repo: "widgets", branch: "main") == baseBefore)

            // Reviewed again, it merges: squash makes one commit on main.
            let now = try #require(try await browser.get("/api/review/\(id)").json()["headSha"] as? String)
            #expect(now != seen)
            let merged = try await browser.send(
                .put, "/api/review/\(id)/merge", json: #"{"sha": "\#(now)", "method": "squash"}"#)
            #expect(merged.status == .ok, "\(merged.body)")
            #expect(try merged.json()["outcome"] as? String == "merged")
            #expect(world.github.pullRequest(owner: "acme", repo: "widgets", number: number)?.merged == true)
            #expect(
                await world.github.fileText(owner: "acme", repo: "widgets", path: "m.txt", ref: "main") == "changed\n")

            // No sha, a bad method, or a merged pull request: refused with a reason.
            let (other, _) = try await opened(world, branch: "porter/9-other", files: ["o.txt": "o\n"], title: "O")
            let noSHA = try await browser.send(
                .put, "/api/review/\(other.uuidString)/merge", json: #"{"method": "merge"}"#)
            #expect(noSHA.status == .unprocessableContent && Self.code(noSHA) == "invalid_sha")
            let badMethod = try await browser.send(
                .put, "/api/review/\(other.uuidString)/merge",
                json: #"{"method": "octopus", "sha": "\#(String(repeating: "a", count: 40))"}"#)
            #expect(Self.code(badMethod) == "invalid_method")
        }
    }

    @Test func withoutPushPermissionNothingIsMergedAndAnotherRepositoryIsNotFound() async throws {
        try await WebWorld.run { world in
            world.github.setRole(owner: "acme", repo: "widgets", user: "reader", role: "read")
            let reader = try await world.signedIn("reader")
            let (task, number) = try await opened(world, branch: "porter/5-read", files: ["r.txt": "r\n"], title: "R")
            let id = task.uuidString.lowercased()
            let review = try await reader.get("/api/review/\(id)")
            #expect(review.status == .ok, "a reader may look")
            #expect(try review.json()["canWrite"] as? Bool == false)
            let sha = try #require(try review.json()["headSha"] as? String)
            let refused = try await reader.send(.put, "/api/review/\(id)/merge", json: #"{"sha": "\#(sha)"}"#)
            #expect(refused.status == .forbidden)
            #expect((try refused.json()["message"] as? String)?.contains("write, maintain or admin") == true)
            #expect(world.github.pullRequest(owner: "acme", repo: "widgets", number: number)?.merged == false)
            let page = try await reader.get("/review/\(id)")
            #expect(!page.body.contains(#"id="merge""#) && page.body.contains("need write access"))

            // A private repository of someone else's: as if it did not exist.
            let secret = try await world.github.addRepository(owner: "acme", name: "secret", isPrivate: true)
            let (hidden, _) = try await opened(
                world, branch: "porter/6-secret", files: ["s.txt": "s\n"], title: "Secret", requester: "octo",
                repository: "secret", repositoryID: secret)
            let stranger = try await world.signedIn("stranger")
            #expect(try await stranger.get("/api/review/\(hidden.uuidString)").status == .notFound)
            #expect(try await stranger.get("/review/\(hidden.uuidString)").status == .notFound)
            let merge = try await stranger.send(
                .put, "/api/review/\(hidden.uuidString)/merge", json: #"{"sha": "\#(sha)"}"#)
            #expect(merge.status == .notFound)
            #expect(try await stranger.get("/api/review/not-a-task").status == .notFound)
        }
    }

    @Test func aDraftIsMarkedReadyAndACloseSaysWhyDeletesTheBranchAndCountsAsRejected() async throws {
        try await WebWorld.run { world in
            let browser = try await world.signedIn("octo")
            let (task, number) = try await opened(
                world, branch: "porter/10-draft", files: ["x.txt": "x\n"], title: "Draft", draft: true)
            let id = task.uuidString.lowercased()
            let ready = try await browser.send(.put, "/api/review/\(id)/ready", json: "{}")
            #expect(ready.status == .ok, "\(ready.body)")
            #expect(world.github.pullRequest(owner: "acme", repo: "widgets", number: number)?.draft == false)
            let again = try await browser.send(.put, "/api/review/\(id)/ready", json: "{}")
            #expect(again.status == .conflict && Self.code(again) == "not_draft")

            let noReason = try await browser.send(.put, "/api/review/\(id)/close", json: #"{"reason": "  "}"#)
            #expect(noReason.status == .unprocessableContent)
            #expect(world.github.pullRequest(owner: "acme", repo: "widgets", number: number)?.state == "open")
            let closed = try await browser.send(
                .put, "/api/review/\(id)/close",
                json: #"{"reason": "Not the approach we want.\n@porter claude try again", "deleteBranch": true}"#)
            #expect(closed.status == .ok, "\(closed.body)")
            #expect(try closed.json()["outcome"] as? String == "closed")
            #expect(world.github.pullRequest(owner: "acme", repo: "widgets", number: number)?.state == "closed")
            #expect(await world.github.branchSHA(owner: "acme", repo: "widgets", branch: "porter/10-draft") == nil)
            let comment = try #require(world.github.comments(owner: "acme", repo: "widgets", issue: number).last)
            #expect(comment.contains("Closed from Porter's review by @octo"))
            #expect(comment.contains("> Not the approach we want.\n> @porter claude try again"), "quoted: \(comment)")
            let rejected = try await world.database.query(
                "SELECT rejected_by, rejection_reason FROM tasks WHERE id = \(task)"
            ).collect().first?.decode((String?, String?).self)
            #expect(rejected?.0 == "octo" && rejected?.1?.hasPrefix("Not the approach") == true)
            let stats = try await browser.get("/api/agents/stats?window=7d").json()
            let lines = try #require(stats["agents"] as? [[String: Any]])
            #expect(lines.map { $0["pullRequestsRejected"] as? Int } == [1], "\(lines)")

            // The form path: a refusal shows the page again with the reason and what was typed.
            let (other, _) = try await opened(world, branch: "porter/11-form", files: ["y.txt": "y\n"], title: "Form")
            let page = try await browser.post("/review/\(other.uuidString.lowercased())/close", form: ["reason": ""])
            #expect(page.status == .unprocessableContent)
            #expect(page.body.contains("Say why it is closed"))
        }
    }

    @Test func aCloseGitHubRefusesLeavesNoCommentAndACommentItLosesIsSaid() async throws {
        try await WebWorld.run { world in
            let browser = try await world.signedIn("octo")
            let (task, number) = try await opened(world, branch: "porter/13-close", files: ["z.txt": "z\n"], title: "Z")
            let id = task.uuidString.lowercased()
            // GitHub refuses the close: nothing is commented and nothing is recorded.
            world.github.faults.add(
                .init(
                    method: "PATCH", pathPrefix: "/repos/acme/widgets/pulls/", status: 403,
                    body: #"{"message":"Resource not accessible by integration"}"#, remaining: 1))
            let refused = try await browser.send(.put, "/api/review/\(id)/close", json: #"{"reason": "No."}"#)
            #expect(refused.status == .forbidden)
            #expect(
                (try refused.json()["message"] as? String)?.contains("Resource not accessible by integration") == true)
            #expect(world.github.pullRequest(owner: "acme", repo: "widgets", number: number)?.state == "open")
            #expect(world.github.comments(owner: "acme", repo: "widgets", issue: number).isEmpty)
            let none = try await world.database.query("SELECT rejected_at FROM tasks WHERE id = \(task)")
                .collect().first?.decode(Date?.self)
            #expect(none == .some(nil))

            // GitHub closes it but loses the comment: closed, the reason kept, and the page says so.
            world.github.faults.add(
                .init(
                    method: "POST", pathPrefix: "/repos/acme/widgets/issues/", status: 502,
                    remaining: 1))
            let closed = try await browser.send(.put, "/api/review/\(id)/close", json: #"{"reason": "Not needed."}"#)
            #expect(closed.status == .ok, "\(closed.body)")
            #expect(try closed.json()["outcome"] as? String == "closed-without-comment")
            #expect(world.github.pullRequest(owner: "acme", repo: "widgets", number: number)?.state == "closed")
            let reason = try await world.database.query("SELECT rejection_reason FROM tasks WHERE id = \(task)")
                .collect().first?.decode(String?.self)
            #expect(reason == "Not needed.")
        }
    }

    @Test func requestingChangesPostsTheReviewAndStartsOneFollowUpOnTheBranch() async throws {
        try await WebWorld.run { world in
            let browser = try await world.signedIn("octo")
            let (task, number) = try await opened(
                world, branch: "porter/12-changes", files: ["lib.swift": "func a() {}\nfunc b() {}\n"],
                title: "Changes", agent: .codex)
            let id = task.uuidString.lowercased()
            let sha = try #require(try await browser.get("/api/review/\(id)").json()["headSha"] as? String)
            let requestID = UUID().uuidString
            let body = """
                {"body": "Handle the empty case.\\n@porter claude also this", "sha": "\(sha)", "requestId": "\(requestID)",
                 "notes": [{"path": "lib.swift", "line": 2, "side": "RIGHT", "body": "b needs a test"}]}
                """
            let answer = try await browser.send(.post, "/api/review/\(id)/changes", json: body)
            #expect(answer.status == .created, "\(answer.body)")
            let followUp = try #require(
                (try answer.json()["followUpTaskId"] as? String).flatMap { UUID(uuidString: $0) })
            let row = try await world.database.query(
                """
                SELECT t.kind, t.follow_up_of, t.agent, t.model, t.instructions, t.issue_number, t.trigger_comment_kind,
                    f.source, f.review_id, t.status
                FROM tasks t JOIN task_follow_ups f ON f.task_id = t.id WHERE t.id = \(followUp)
                """
            ).collect().first?.decode(
                (String, UUID?, String, String?, String, Int, String?, String, Int64?, String).self)
            #expect(row?.0 == "follow_up" && row?.1 == task && row?.2 == "codex" && row?.3 == "opus")
            #expect(row?.4 == "Handle the empty case.\n@porter claude also this" && row?.5 == number)
            #expect(row?.6 == "review" && row?.7 == "review" && row?.9 == "queued")
            let reviews = world.github.reviews(owner: "acme", repo: "widgets", pull: number)
            #expect(reviews.count == 1)
            #expect(reviews.first?.state == "CHANGES_REQUESTED" && reviews.first?.author == "octo")
            #expect(reviews.first.map { Int64($0.id) } == row?.8)
            #expect(reviews.first?.body?.contains("> Handle the empty case.\n> @porter claude also this") == true)
            #expect(reviews.first?.comments == ["lib.swift:2 b needs a test"])
            let jobs = try await world.database.query(
                "SELECT count(*)::integer FROM jobs WHERE task_id = \(followUp) AND kind = 'dispatch'"
            ).collect().first?.decode(Int.self)
            #expect(jobs == 1)

            // The same request again: the same task, and no second review.
            let repeated = try await browser.send(.post, "/api/review/\(id)/changes", json: body)
            #expect(repeated.status == .created)
            #expect(try repeated.json()["followUpTaskId"] as? String == followUp.uuidString.lowercased())
            #expect(world.github.reviews(owner: "acme", repo: "widgets", pull: number).count == 1)

            // The page lists the follow-up.
            let page = try await browser.get("/review/\(id)?done=changes")
            #expect(page.body.contains("Changes requested: a follow-up task is on its way"))
            #expect(page.body.contains(#"data-follow-up="\#(followUp.uuidString.lowercased())""#))

            // Notes that cannot be read are refused before anything is posted.
            let bad = try await browser.send(
                .post, "/api/review/\(id)/changes",
                json:
                    #"{"body": "x", "sha": "\#(sha)", "requestId": "\#(UUID())", "notes": [{"path": "a", "line": 0}]}"#)
            #expect(bad.status == .unprocessableContent && Self.code(bad) == "invalid_notes")
            #expect(world.github.reviews(owner: "acme", repo: "widgets", pull: number).count == 1)
        }
    }
}
