import AsyncHTTPClient
import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOHTTP1
import PorterEmulators
import PorterKit
import Synchronization
import Testing

/// Pull requests as people make them: opened by a person or from a fork, pushed to, reviewed line by
/// line, protected, merged and closed, with the webhooks GitHub sends for each.
@Suite struct PullRequestReviewEmulatorTests {
    static let files = ["README.md": "# Widgets\n", "shared.txt": "one\ntwo\nthree\n"]

    struct Delivery: Sendable {
        var event: String
        var guid: String
        var signature: String
        var body: Data

        var payload: [String: Any] { (try? JSONSerialization.jsonObject(with: body) as? [String: Any]) ?? [:] }
    }

    final class Inbox: Sendable {
        let received = Mutex<[Delivery]>([])

        var all: [Delivery] { received.withLock { $0 } }

        /// Waits until `count` deliveries have arrived, for webhooks the REST routes send after answering.
        func wait(for count: Int) async throws -> [Delivery] {
            let deadline = ContinuousClock.now + .seconds(10)
            while all.count < count && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            return all
        }
    }

    /// A REST caller holding an installation token.
    struct REST: Sendable {
        var port: Int
        var token: String

        func call(_ method: HTTPMethod, _ path: String, _ body: String? = nil) async throws -> (Int, Any) {
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
            request.method = method
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            request.headers.add(name: "Accept", value: "application/vnd.github+json")
            if let body { request.body = .bytes(ByteBuffer(string: body)) }
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            let data = Data(buffer: try await response.body.collect(upTo: 1 << 22))
            return (Int(response.status.code), (try? JSONSerialization.jsonObject(with: data)) ?? [:])
        }

        func object(_ path: String) async throws -> [String: Any] {
            let (status, json) = try await call(.GET, path)
            try #require(status == 200, "GET \(path): \(status) \(json)")
            return try #require(json as? [String: Any])
        }

        func list(_ path: String) async throws -> [[String: Any]] {
            let (status, json) = try await call(.GET, path)
            try #require(status == 200, "GET \(path): \(status) \(json)")
            return try #require(json as? [[String: Any]])
        }
    }

    /// Runs `body` with the emulator served live, its webhooks going to a receiver that records them,
    /// and a token with every repository permission the App has.
    static func run<T: Sendable>(
        _ world: GitHubWorld, _ body: @Sendable @escaping (GitHubClient, REST, Inbox) async throws -> T
    ) async throws -> T {
        let inbox = Inbox()
        let router = Router()
        router.post("/hook") { request, _ -> HTTPResponse.Status in
            let data = Data(buffer: try await request.body.collect(upTo: 1 << 22))
            func header(_ name: String) -> String {
                request.headers.first { $0.name.canonicalName == name }?.value ?? ""
            }
            let delivery = Delivery(
                event: header("x-github-event"), guid: header("x-github-delivery"),
                signature: header("x-hub-signature-256"), body: data)
            inbox.received.withLock { $0.append(delivery) }
            return .ok
        }
        return try await Application(router: router).test(.live) { receiver in
            world.emulator.configureWebhooks(url: "http://127.0.0.1:\(receiver.port!)/hook", secret: "s3cret")
            return try await world.live { github, port in
                let token = try await github.narrowedInstallationToken(
                    installationID: world.installationID, repositories: ["widgets"],
                    permissions: ["contents": "write", "pull_requests": "write", "issues": "write"])
                return try await body(github, REST(port: port, token: token.token), inbox)
            }
        }
    }

    /// Alice's pull request #2 from `feature`, which changes line 2 of `shared.txt` and adds line 4.
    static func alicesPullRequest(_ emulator: GitHubEmulator) async throws -> (number: Int, sha: String) {
        let sha = try await emulator.pushCommit(
            owner: "acme", repo: "widgets", branch: "feature", files: ["shared.txt": "one\nTWO\nthree\nfour\n"],
            message: "Shout two", author: "alice")
        let number = try await emulator.addPullRequest(
            owner: "acme", repo: "widgets", title: "Shout", body: "Louder.", head: "feature", author: "alice")
        return (number, sha)
    }

    static func signature(_ body: Data) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data("s3cret".utf8)))
        return "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
    }

    @Test func aPersonsPullRequestAndAForkPullRequestNameTheirAuthorAndHeadRepository() async throws {
        let world = try await GitHubWorld.make(files: Self.files)
        let emulator = world.emulator
        let (number, sha) = try await Self.alicesPullRequest(emulator)
        try await emulator.forkRepository(owner: "acme", repo: "widgets", into: "mallory")
        let forkSHA = try await emulator.pushCommit(
            owner: "mallory", repo: "widgets", branch: "evil", files: ["evil.sh": "rm -rf /\n"], author: "mallory")
        let forked = try await emulator.addPullRequest(
            owner: "acme", repo: "widgets", title: "Harmless", head: "evil", author: "mallory", headOwner: "mallory")
        #expect((number, forked) == (2, 3))

        try await Self.run(world) { github, rest, _ in
            let pull = try await rest.object("/repos/acme/widgets/pulls/2")
            #expect((pull["user"] as? [String: Any])?["login"] as? String == "alice")
            #expect(pull["body"] as? String == "Louder.")
            #expect(pull["closed_at"] is NSNull && pull["updated_at"] is String)
            let head = try #require(pull["head"] as? [String: Any])
            let base = try #require(pull["base"] as? [String: Any])
            #expect(head["sha"] as? String == sha && head["label"] as? String == "acme:feature")
            #expect((head["repo"] as? [String: Any])?["id"] as? Int == (base["repo"] as? [String: Any])?["id"] as? Int)

            let fork = try await rest.object("/repos/acme/widgets/pulls/3")
            let forkHead = try #require(fork["head"] as? [String: Any])
            let forkRepo = try #require(forkHead["repo"] as? [String: Any])
            #expect(forkRepo["full_name"] as? String == "mallory/widgets" && forkRepo["fork"] as? Bool == true)
            #expect(forkHead["label"] as? String == "mallory:evil" && forkHead["sha"] as? String == forkSHA)
            #expect(
                forkRepo["id"] as? Int != (fork["base"] as? [String: Any]).flatMap { $0["repo"] as? [String: Any] }?[
                    "id"] as? Int)
            #expect((fork["user"] as? [String: Any])?["login"] as? String == "mallory")
            let files = try await rest.list("/repos/acme/widgets/pulls/3/files")
            #expect(files.compactMap { $0["filename"] as? String } == ["evil.sh"])
            let listed = try await rest.list("/repos/acme/widgets/pulls?head=mallory:evil")
            #expect(listed.compactMap { $0["number"] as? Int } == [3])

            // Porter's client reads both.
            let decoded = try await github.pullRequest(
                installationID: world.installationID, owner: "acme", repo: "widgets", number: 3)
            #expect(decoded.head.sha == forkSHA && decoded.head.ref == "evil")
        }
        let summary = try #require(emulator.pullRequest(owner: "acme", repo: "widgets", number: 2))
        #expect(summary.author == "alice" && summary.headSHA == sha && summary.headRepository == "acme/widgets")
        #expect(summary.body == "Louder.")
        let forkSummary = try #require(emulator.pullRequest(owner: "acme", repo: "widgets", number: 3))
        #expect(forkSummary.headRepository == "mallory/widgets" && forkSummary.headSHA == forkSHA)
        await #expect(throws: (any Error).self) {
            try await emulator.addPullRequest(
                owner: "acme", repo: "widgets", title: "No branch", head: "missing", author: "alice")
        }
    }

    @Test func pushCommitMovesTheBranchAndAClonesSeesIt() async throws {
        let world = try await GitHubWorld.make(files: Self.files)
        let emulator = world.emulator
        let first = try await emulator.pushCommit(
            owner: "acme", repo: "widgets", branch: "feature", files: ["notes/a.md": "A\n"], message: "Add notes",
            author: "alice")
        let second = try await emulator.pushCommit(
            owner: "acme", repo: "widgets", branch: "feature", files: ["shared.txt": "uno\ntwo\nthree\n"],
            message: "Say uno\n\nIn Spanish.", author: "bob")
        let side = try await emulator.pushCommit(
            owner: "acme", repo: "widgets", branch: "side", files: ["c.txt": "c\n"], from: "feature")
        #expect(await emulator.branchSHA(owner: "acme", repo: "widgets", branch: "feature") == second)
        #expect(try await emulator.branches(owner: "acme", repo: "widgets") == ["feature", "main", "side"])
        #expect(
            try await emulator.commitMessages(owner: "acme", repo: "widgets", ref: "feature")
                == ["Say uno\n\nIn Spanish.", "Add notes", "Initial commit"])
        #expect(try await emulator.commitMessages(owner: "acme", repo: "widgets", ref: "side").count == 4)
        #expect(await emulator.fileText(owner: "acme", repo: "widgets", path: "notes/a.md", ref: "feature") == "A\n")
        #expect(await emulator.fileText(owner: "acme", repo: "widgets", path: "notes/a.md", ref: "main") == nil)

        let log = try await world.live { github, port in
            let token = try await github.narrowedInstallationToken(
                installationID: world.installationID, repositories: ["widgets"], permissions: ["contents": "read"])
            let work = try GitCLI.scratch()
            defer { try? FileManager.default.removeItem(at: work) }
            let clone = work.appendingPathComponent("repo")
            try await GitCLI.run([
                "clone", "--quiet", "--branch", "side",
                "http://x-access-token:\(token.token)@127.0.0.1:\(port)/acme/widgets.git", clone.path,
            ])
            let text = try String(contentsOf: clone.appendingPathComponent("shared.txt"), encoding: .utf8)
            #expect(text == "uno\ntwo\nthree\n")
            return try await GitCLI.run(["log", "--format=%H %P %an", "-3"], in: clone)
        }
        let lines = log.split(separator: "\n").map(String.init)
        #expect(lines.first == "\(side) \(second) octocat")
        #expect(lines.dropFirst().first == "\(second) \(first) bob")
    }

    @Test func reviewCommentsAndReviewsArriveSignedWithGitHubsFields() async throws {
        let world = try await GitHubWorld.make(files: Self.files)
        let emulator = world.emulator
        let (number, sha) = try await Self.alicesPullRequest(emulator)
        emulator.setRole(owner: "acme", repo: "widgets", user: "bob", role: "write")
        try await Self.run(world) { _, rest, inbox in
            let commentID = try await emulator.reviewComment(
                owner: "acme", repo: "widgets", pull: number, author: "bob", body: "@porter claude lower it",
                path: "shared.txt", line: 2)
            let single = inbox.all
            try #require(single.map(\.event) == ["pull_request_review_comment", "pull_request_review"])
            for delivery in single {
                #expect(delivery.signature == Self.signature(delivery.body))
                #expect(UUID(uuidString: delivery.guid) != nil)
            }
            let payload = single[0].payload
            #expect(payload["action"] as? String == "created")
            let comment = try #require(payload["comment"] as? [String: Any])
            #expect(comment["id"] as? Int == commentID && comment["body"] as? String == "@porter claude lower it")
            #expect(comment["path"] as? String == "shared.txt" && comment["line"] as? Int == 2)
            #expect(comment["side"] as? String == "RIGHT" && comment["start_line"] is NSNull)
            #expect(comment["start_side"] is NSNull && comment["in_reply_to_id"] == nil)
            #expect(comment["diff_hunk"] as? String == "@@ -1,3 +1,4 @@\n one\n-two\n+TWO")
            #expect(comment["position"] as? Int == 3)
            #expect(comment["commit_id"] as? String == sha && comment["original_commit_id"] as? String == sha)
            #expect((comment["user"] as? [String: Any])?["login"] as? String == "bob")
            #expect(
                (comment["html_url"] as? String)?.hasSuffix("/acme/widgets/pull/2#discussion_r\(commentID)") == true)
            #expect(comment["author_association"] as? String == "COLLABORATOR")
            let pull = try #require(payload["pull_request"] as? [String: Any])
            #expect(pull["number"] as? Int == 2 && (pull["head"] as? [String: Any])?["sha"] as? String == sha)
            #expect((payload["installation"] as? [String: Any])?["id"] as? Int == world.installationID)
            #expect((payload["sender"] as? [String: Any])?["login"] as? String == "bob")
            #expect((payload["repository"] as? [String: Any])?["full_name"] as? String == "acme/widgets")
            // A single comment is a review of its own, with no body.
            let implicit = try #require(single[1].payload["review"] as? [String: Any])
            #expect(single[1].payload["action"] as? String == "submitted")
            #expect(implicit["id"] as? Int == comment["pull_request_review_id"] as? Int)
            #expect(implicit["state"] as? String == "commented" && implicit["body"] is NSNull)

            let reviewID = try await emulator.submitReview(
                owner: "acme", repo: "widgets", pull: number, author: "bob", body: "@porter claude fix these",
                comments: [(path: "shared.txt", line: 4, body: "and this one")])
            let reviewed = Array(inbox.all.dropFirst(2))
            try #require(reviewed.map(\.event) == ["pull_request_review_comment", "pull_request_review"])
            let lineComment = try #require(reviewed[0].payload["comment"] as? [String: Any])
            #expect(lineComment["pull_request_review_id"] as? Int == reviewID && lineComment["line"] as? Int == 4)
            #expect(lineComment["diff_hunk"] as? String == "@@ -1,3 +1,4 @@\n one\n-two\n+TWO\n three\n+four")
            let review = try #require(reviewed[1].payload["review"] as? [String: Any])
            #expect(review["id"] as? Int == reviewID && review["body"] as? String == "@porter claude fix these")
            #expect(review["state"] as? String == "commented" && review["commit_id"] as? String == sha)
            #expect((review["user"] as? [String: Any])?["login"] as? String == "bob")
            #expect(review["submitted_at"] is String && review["html_url"] is String)
            #expect((reviewed[1].payload["pull_request"] as? [String: Any])?["number"] as? Int == 2)

            let range = try await emulator.reviewComment(
                owner: "acme", repo: "widgets", pull: number, author: "bob", body: "these two", path: "shared.txt",
                line: 2, startLine: 1)
            let reply = try await emulator.reviewComment(
                owner: "acme", repo: "widgets", pull: number, author: "alice", body: "done?", inReplyTo: commentID)
            let ranged = try #require(inbox.all[4].payload["comment"] as? [String: Any])
            #expect(ranged["id"] as? Int == range && ranged["start_line"] as? Int == 1)
            #expect(ranged["start_side"] as? String == "RIGHT")
            let replied = try #require(inbox.all[6].payload["comment"] as? [String: Any])
            #expect(replied["id"] as? Int == reply && replied["in_reply_to_id"] as? Int == commentID)
            #expect(replied["path"] as? String == "shared.txt" && replied["line"] as? Int == 2)

            // A line outside the diff is refused, and nothing goes out.
            await #expect(throws: (any Error).self) {
                try await emulator.reviewComment(
                    owner: "acme", repo: "widgets", pull: number, author: "bob", body: "x", path: "README.md", line: 1)
            }
            #expect(inbox.all.count == 8)

            // The REST API serves what was made.
            let listed = try await rest.list("/repos/acme/widgets/pulls/2/comments")
            #expect(listed.compactMap { $0["id"] as? Int }.count == 4)
            let one = try await rest.object("/repos/acme/widgets/pulls/comments/\(commentID)")
            #expect(one["diff_hunk"] as? String == comment["diff_hunk"] as? String)
            let reviews = try await rest.list("/repos/acme/widgets/pulls/2/reviews")
            #expect(reviews.count == 4)
            let fetched = try await rest.object("/repos/acme/widgets/pulls/2/reviews/\(reviewID)")
            #expect(
                fetched["state"] as? String == "COMMENTED" && fetched["body"] as? String == "@porter claude fix these")
            let ofReview = try await rest.list("/repos/acme/widgets/pulls/2/reviews/\(reviewID)/comments")
            #expect(ofReview.compactMap { $0["body"] as? String } == ["and this one"])
            #expect(try await rest.call(.GET, "/repos/acme/widgets/pulls/comments/999999").0 == 404)
            #expect(try await rest.call(.GET, "/repos/acme/widgets/pulls/2/reviews/\(commentID)").0 == 404)

            let eyes = #"{"content":"eyes"}"#
            let reacted = try await rest.call(.POST, "/repos/acme/widgets/pulls/comments/\(commentID)/reactions", eyes)
            #expect(reacted.0 == 201)
            let again = try await rest.call(.POST, "/repos/acme/widgets/pulls/comments/\(commentID)/reactions", eyes)
            #expect(again.0 == 200)
            let bad = try await rest.call(
                .POST, "/repos/acme/widgets/pulls/comments/\(commentID)/reactions", #"{"content":"smile"}"#)
            #expect(bad.0 == 422)
            #expect(emulator.reviewCommentReactions(commentID: commentID) == ["eyes"])

            // A redelivery is the same bytes under the same GUID.
            try await emulator.redeliver(guid: single[0].guid)
            let redelivered = try #require(inbox.all.last)
            #expect(redelivered.guid == single[0].guid && redelivered.body == single[0].body)
        }
    }

    @Test func reviewRoutesNeedPullRequestPermissionsAndTheRepository() async throws {
        let world = try await GitHubWorld.make(files: Self.files)
        let emulator = world.emulator
        let (number, _) = try await Self.alicesPullRequest(emulator)
        let commentID = try await emulator.reviewComment(
            owner: "acme", repo: "widgets", pull: number, author: "bob", body: "hm", path: "shared.txt", line: 2)
        try await world.live { github, port in
            let readOnly = try await github.narrowedInstallationToken(
                installationID: world.installationID, repositories: ["widgets"],
                permissions: ["pull_requests": "read"])
            let noPulls = try await github.narrowedInstallationToken(
                installationID: world.installationID, repositories: ["widgets"], permissions: ["issues": "write"])
            let gadgets = try await github.narrowedInstallationToken(
                installationID: world.installationID, repositories: ["gadgets"],
                permissions: ["pull_requests": "write"])
            let reader = REST(port: port, token: readOnly.token)
            #expect(try await reader.call(.GET, "/repos/acme/widgets/pulls/2/comments").0 == 200)
            #expect(
                try await reader.call(
                    .POST, "/repos/acme/widgets/pulls/comments/\(commentID)/reactions", #"{"content":"eyes"}"#
                ).0 == 403)
            #expect(
                try await REST(port: port, token: noPulls.token).call(.GET, "/repos/acme/widgets/pulls/2/reviews").0
                    == 403)
            #expect(
                try await REST(port: port, token: gadgets.token).call(
                    .GET, "/repos/acme/widgets/pulls/comments/\(commentID)"
                ).0
                    == 404)
            #expect(
                try await REST(port: port, token: gadgets.token).call(
                    .POST, "/repos/acme/gadgets/pulls/comments/\(commentID)/reactions", #"{"content":"eyes"}"#
                ).0 == 404)
        }
        #expect(emulator.reviewCommentReactions(commentID: commentID).isEmpty)
    }

    @Test func aProtectedBranchSaysSoAndRefusesPushesOverGit() async throws {
        let world = try await GitHubWorld.make(files: Self.files)
        let emulator = world.emulator
        try await emulator.pushCommit(owner: "acme", repo: "widgets", branch: "feature", files: ["a": "a\n"])
        try emulator.protectBranch(owner: "acme", repo: "widgets", branch: "feature")
        #expect(emulator.protectedBranches(owner: "acme", repo: "widgets") == ["feature"])
        let before = await emulator.branchSHA(owner: "acme", repo: "widgets", branch: "feature")
        try await world.live { github, port in
            let rest = REST(port: port, token: "")
            let token = try await github.narrowedInstallationToken(
                installationID: world.installationID, repositories: ["widgets"], permissions: ["contents": "write"])
            let authorized = REST(port: port, token: token.token)
            let protected = try await authorized.object("/repos/acme/widgets/branches/feature")
            #expect(protected["protected"] as? Bool == true && protected["name"] as? String == "feature")
            #expect(try await authorized.object("/repos/acme/widgets/branches/main")["protected"] as? Bool == false)
            #expect(try await rest.call(.GET, "/repos/acme/widgets/branches/feature").0 == 401)

            let url = "http://x-access-token:\(token.token)@127.0.0.1:\(port)/acme/widgets.git"
            await #expect(throws: (any Error).self) {
                try await GitCLI.pushBranch(from: url, base: "feature", branch: "feature", files: ["b": "b\n"])
            }
            // Other branches take pushes, and a test can still move the protected one.
            try await GitCLI.pushBranch(from: url, base: "feature", branch: "feature-followup-1", files: ["b": "b\n"])
        }
        #expect(await emulator.branchSHA(owner: "acme", repo: "widgets", branch: "feature") == before)
        #expect(await emulator.branchSHA(owner: "acme", repo: "widgets", branch: "feature-followup-1") != nil)
        let moved = try await emulator.pushCommit(owner: "acme", repo: "widgets", branch: "feature", files: ["c": "c"])
        #expect(await emulator.branchSHA(owner: "acme", repo: "widgets", branch: "feature") == moved)
        try emulator.protectBranch(owner: "acme", repo: "widgets", branch: "feature", protected: false)
        #expect(emulator.protectedBranches(owner: "acme", repo: "widgets").isEmpty)
    }

    @Test func mergingAndClosingSendPullRequestClosed() async throws {
        let world = try await GitHubWorld.make(files: Self.files)
        let emulator = world.emulator
        let (merged, _) = try await Self.alicesPullRequest(emulator)
        try await emulator.pushCommit(owner: "acme", repo: "widgets", branch: "other", files: ["o": "o\n"])
        let closed = try await emulator.addPullRequest(
            owner: "acme", repo: "widgets", title: "Other", head: "other", author: "alice")
        try await emulator.pushCommit(owner: "acme", repo: "widgets", branch: "rest-a", files: ["ra": "a\n"])
        try await emulator.pushCommit(owner: "acme", repo: "widgets", branch: "rest-b", files: ["rb": "b\n"])

        try await Self.run(world) { github, rest, inbox in
            try await emulator.mergePullRequest(owner: "acme", repo: "widgets", number: merged, by: "carol")
            try await emulator.closePullRequest(owner: "acme", repo: "widgets", number: closed, by: "carol")
            let id = world.installationID
            let restMerged = try await github.createPullRequest(
                installationID: id, owner: "acme", repo: "widgets",
                NewPullRequest(title: "A", head: "rest-a", base: "main", body: "a"))
            let restClosed = try await github.createPullRequest(
                installationID: id, owner: "acme", repo: "widgets",
                NewPullRequest(title: "B", head: "rest-b", base: "main", body: "b"))
            _ = try await github.mergePullRequest(
                installationID: id, owner: "acme", repo: "widgets", number: restMerged.number)
            try await github.closePullRequest(
                installationID: id, owner: "acme", repo: "widgets", number: restClosed.number)
            // Closing what is closed changes nothing and sends nothing.
            let (status, _) = try await rest.call(
                .PATCH, "/repos/acme/widgets/pulls/\(restClosed.number)", #"{"state":"closed","body":"still b"}"#)
            #expect(status == 200)

            let received = try await inbox.wait(for: 4)
            #expect(received.count == 4)
            #expect(received.allSatisfy { $0.event == "pull_request" && $0.signature == Self.signature($0.body) })
            var seen: [Int: (merged: Bool, sender: String)] = [:]
            for delivery in received {
                let payload = delivery.payload
                #expect(payload["action"] as? String == "closed")
                let pull = try #require(payload["pull_request"] as? [String: Any])
                let number = try #require(payload["number"] as? Int)
                #expect(pull["number"] as? Int == number && pull["state"] as? String == "closed")
                #expect(pull["closed_at"] is String)
                #expect((pull["merged"] as? Bool == true) == (pull["merged_at"] is String))
                seen[number] = (
                    pull["merged"] as? Bool ?? false, (payload["sender"] as? [String: Any])?["login"] as? String ?? ""
                )
            }
            #expect(seen[merged]?.merged == true && seen[merged]?.sender == "carol")
            #expect(seen[closed]?.merged == false && seen[closed]?.sender == "carol")
            #expect(seen[restMerged.number]?.merged == true && seen[restMerged.number]?.sender == "porter[bot]")
            #expect(seen[restClosed.number]?.merged == false)

            // Reopening sends `reopened`, and the pull request is no longer closed.
            let reopened = try await rest.call(
                .PATCH, "/repos/acme/widgets/pulls/\(restClosed.number)", #"{"state":"open"}"#)
            #expect(reopened.0 == 200)
            let last = try #require(try await inbox.wait(for: 5).dropFirst(4).first?.payload)
            #expect(last["action"] as? String == "reopened" && last["number"] as? Int == restClosed.number)
            #expect((last["pull_request"] as? [String: Any])?["closed_at"] is NSNull)
        }
        let pulls = emulator.pullRequests(owner: "acme", repo: "widgets")
        #expect(pulls.map(\.state) == ["closed", "closed", "closed", "open"])
        #expect(pulls.map(\.merged) == [true, false, true, false])
        #expect(pulls.last?.body == "still b")
        #expect(pulls.map(\.author) == ["alice", "alice", "porter[bot]", "porter[bot]"])
        await #expect(throws: (any Error).self) {
            try await emulator.mergePullRequest(owner: "acme", repo: "widgets", number: merged)
        }
        let restA = try #require(pulls.first { $0.head == "rest-a" })
        // Porter's client squashes: one commit titled the way GitHub titles it.
        #expect(
            try await emulator.commitMessages(owner: "acme", repo: "widgets", ref: "main").first
                == "A (#\(restA.number))\n\n* Update files")
    }

    @Test func theSeedRoutesDriveTheSameThingsOverHTTP() async throws {
        let world = try await GitHubWorld.make(files: Self.files)
        let emulator = world.emulator
        try await Self.run(world) { _, rest, inbox in
            let seed = "http://127.0.0.1:\(rest.port)/_emulator"
            let post = { (path: String, json: String) in try await GitHubSeedRoutesTests.post(seed + path, json) }
            let pushed = try await post(
                "/commits",
                #"{"owner":"acme","repo":"widgets","branch":"feature","files":{"shared.txt":"one\nTWO\nthree\n"},"author":"alice"}"#
            )
            #expect(pushed.0 == 201 && pushed.1.contains(#""sha""#))
            let fork = try await post("/forks", #"{"owner":"acme","repo":"widgets","into":"mallory"}"#)
            #expect(fork.0 == 201)
            let pull = try await post(
                "/pulls", #"{"owner":"acme","repo":"widgets","title":"Shout","head":"feature","author":"alice"}"#)
            #expect(pull == (201, #"{"number":2}"#))
            let comment = try await post(
                "/review-comments",
                #"{"owner":"acme","repo":"widgets","pull":2,"author":"bob","body":"hm","path":"shared.txt","line":2}"#)
            #expect(comment.0 == 201, "\(comment.1)")
            let review = try await post(
                "/reviews",
                #"{"owner":"acme","repo":"widgets","pull":2,"author":"bob","body":"fix","comments":[{"path":"shared.txt","line":2,"body":"here"}]}"#
            )
            #expect(review.0 == 201, "\(review.1)")
            let outside = try await post(
                "/review-comments",
                #"{"owner":"acme","repo":"widgets","pull":2,"author":"bob","body":"hm","path":"README.md","line":1}"#)
            #expect(outside.0 == 422)
            let protect = try await GitHubSeedRoutesTests.post(
                seed + "/protected-branches", #"{"owner":"acme","repo":"widgets","branch":"feature"}"#, method: .PUT)
            #expect(protect.0 == 204)
            let merge = try await post("/pulls/merge", #"{"owner":"acme","repo":"widgets","number":2}"#)
            #expect(merge.0 == 204)
            #expect(try await post("/pulls/close", #"{"owner":"acme","repo":"widgets","number":2}"#).0 == 422)
            let events = try await inbox.wait(for: 5).map(\.event)
            #expect(
                events == [
                    "pull_request_review_comment", "pull_request_review", "pull_request_review_comment",
                    "pull_request_review", "pull_request",
                ])
        }
        #expect(emulator.protectedBranches(owner: "acme", repo: "widgets") == ["feature"])
        #expect(emulator.pullRequest(owner: "acme", repo: "widgets", number: 2)?.merged == true)
        // The fork was made after `feature` was pushed, so it has it too.
        #expect(try await emulator.branches(owner: "mallory", repo: "widgets") == ["feature", "main"])
    }
}
