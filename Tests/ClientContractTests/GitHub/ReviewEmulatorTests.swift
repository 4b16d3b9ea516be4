import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import PorterEmulators
import PorterKit
import Testing

/// Calls the emulator over HTTP the way a client does, with whatever token a test holds (none for
/// the seeding routes), and keeps the answer's status, JSON and headers.
struct ReviewCaller: Sendable {
    var port: Int
    var token: String?

    struct Answer {
        var status: Int
        var json: Any
        var headers: [String: String]

        var object: [String: Any] { json as? [String: Any] ?? [:] }
        var list: [[String: Any]] { json as? [[String: Any]] ?? [] }
        var message: String? { object["message"] as? String }
    }

    func call(_ method: HTTPMethod, _ path: String, _ body: [String: Any]? = nil) async throws -> Answer {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        request.headers.add(name: "Accept", value: "application/vnd.github+json")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let data = Data(buffer: try await response.body.collect(upTo: 1 << 26))
        var headers: [String: String] = [:]
        for header in response.headers { headers[header.name.lowercased()] = header.value }
        let json = (try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])) ?? [:]
        return Answer(status: Int(response.status.code), json: json, headers: headers)
    }

    /// A GET that must answer 200, its JSON object.
    func object(_ path: String) async throws -> [String: Any] {
        let answer = try await call(.GET, path)
        try #require(answer.status == 200, "GET \(path): \(answer.status) \(answer.json)")
        return answer.object
    }
}

/// A test's view of a served emulator: Porter's client, callers for the App and for people, and the
/// webhooks it sent.
struct ReviewSession: Sendable {
    var github: GitHubClient
    var port: Int
    /// An installation token with `contents`, `pull_requests` and `issues` write on `acme/widgets`.
    var app: ReviewCaller
    var inbox: PullRequestReviewEmulatorTests.Inbox
    var installationID: Int

    func caller(_ token: String?) -> ReviewCaller { ReviewCaller(port: port, token: token) }

    /// An installation token on `acme/widgets` with exactly `permissions`.
    func installation(_ permissions: [String: String]) async throws -> ReviewCaller {
        let token = try await github.narrowedInstallationToken(
            installationID: installationID, repositories: ["widgets"], permissions: permissions)
        return caller(token.token)
    }

    /// Waits for the `occurrence`th `pull_request` webhook with `action` for a pull request, and
    /// returns its payload.
    func pullRequestEvent(_ action: String, number: Int, occurrence: Int = 1) async throws -> [String: Any] {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            let found = inbox.all.map(\.payload).filter {
                $0["action"] as? String == action && $0["number"] as? Int == number && $0["pull_request"] != nil
            }
            if found.count >= occurrence { return found[occurrence - 1] }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("no pull_request \(action) #\(occurrence) for #\(number)")
        return [:]
    }
}

enum ReviewEmulator {
    static let files = [
        "README.md": "# Widgets\n", "shared.txt": "one\ntwo\nthree\n", "gone.txt": "bye\n",
        "old/name.txt": (1...12).map { "line \($0)\n" }.joined(),
    ]

    /// Serves the world's emulator with webhooks recorded, as `PullRequestReviewEmulatorTests.run` does.
    static func run<T: Sendable>(
        _ world: GitHubWorld, _ body: @Sendable @escaping (ReviewSession) async throws -> T
    ) async throws -> T {
        try await PullRequestReviewEmulatorTests.run(world) { github, rest, inbox in
            try await body(
                ReviewSession(
                    github: github, port: rest.port, app: ReviewCaller(port: rest.port, token: rest.token),
                    inbox: inbox,
                    installationID: world.installationID))
        }
    }

    /// Alice's pull request from `branch`: one commit per entry of `commits` (subject and files), opened
    /// into `main`. Returns its number and head commit.
    @discardableResult
    static func pull(
        _ emulator: GitHubEmulator, branch: String = "feature", title: String = "Shout",
        commits: [(String, [String: String])] = [("Shout two", ["shared.txt": "one\nTWO\nthree\nfour\n"])],
        draft: Bool = false
    ) async throws -> (number: Int, head: String) {
        var head = ""
        for (message, files) in commits {
            head = try await emulator.pushCommit(
                owner: "acme", repo: "widgets", branch: branch, files: files, message: message, author: "alice")
        }
        let number = try await emulator.addPullRequest(
            owner: "acme", repo: "widgets", title: title, head: branch, author: "alice", draft: draft)
        return (number, head)
    }
}

/// The seeding routes a standalone emulator is driven with, for what a review page shows.
@Suite struct ReviewEmulatorTests {
    @Test func theSeedRoutesSetUpFilesChecksSettingsAndMerges() async throws {
        let world = try await GitHubWorld.make(files: ReviewEmulator.files)
        let emulator = world.emulator
        try await ReviewEmulator.run(world) { session in
            let seed = session.caller(nil)
            let pushed = try await seed.call(
                .POST, "/_emulator/commits",
                [
                    "owner": "acme", "repo": "widgets", "branch": "feature", "author": "alice",
                    "files": ["new.txt": "fresh\n"],
                    "binaryFiles": ["logo.png": Data([0, 1, 2, 255]).base64EncodedString()],
                    "deletions": ["gone.txt"], "renames": ["old/name.txt": "new/name.txt"],
                ])
            #expect(pushed.status == 201)
            let sha = try #require(pushed.object["sha"] as? String)
            let bad = try await seed.call(
                .POST, "/_emulator/commits",
                ["owner": "acme", "repo": "widgets", "branch": "feature", "binaryFiles": ["x.bin": "%%%"]])
            #expect(bad.status == 400)
            let opened = try await seed.call(
                .POST, "/_emulator/pulls",
                ["owner": "acme", "repo": "widgets", "title": "Tidy", "head": "feature", "author": "alice"])
            let number = try #require(opened.object["number"] as? Int)

            let settings = try await seed.call(
                .PUT, "/_emulator/merge-settings",
                ["owner": "acme", "repo": "widgets", "allowMergeCommit": false, "deleteBranchOnMerge": true])
            #expect(settings.status == 204)
            let repository = try await session.app.object("/repos/acme/widgets")
            #expect(repository["allow_merge_commit"] as? Bool == false)
            #expect(repository["allow_squash_merge"] as? Bool == true)
            #expect(repository["allow_rebase_merge"] as? Bool == true)
            #expect(repository["delete_branch_on_merge"] as? Bool == true)

            let protect = try await seed.call(
                .PUT, "/_emulator/protected-branches",
                ["owner": "acme", "repo": "widgets", "branch": "main", "requiredChecks": ["ci", "docs"]])
            #expect(protect.status == 204)
            let run = try await seed.call(
                .POST, "/_emulator/check-runs",
                ["owner": "acme", "repo": "widgets", "sha": sha, "name": "ci", "conclusion": "success"])
            #expect(run.status == 201 && run.object["id"] is Int)
            let running = try await seed.call(
                .POST, "/_emulator/check-runs", ["owner": "acme", "repo": "widgets", "sha": "feature", "name": "slow"])
            #expect(running.status == 201)
            let status = try await seed.call(
                .POST, "/_emulator/statuses",
                [
                    "owner": "acme", "repo": "widgets", "sha": "feature", "context": "docs", "state": "success",
                    "description": "Built",
                ])
            #expect(status.status == 201)
            let wrong = try await seed.call(
                .POST, "/_emulator/statuses",
                ["owner": "acme", "repo": "widgets", "sha": "nowhere", "context": "docs", "state": "success"])
            #expect(wrong.status == 422)

            let checks = try await session.installation(["checks": "read"])
            let runs = try await checks.object("/repos/acme/widgets/commits/\(sha)/check-runs")
            let statuses = (runs["check_runs"] as? [[String: Any]] ?? []).map { run in
                [run["name"], run["status"], run["conclusion"]].map { $0 as? String ?? "-" }.joined(separator: " ")
            }
            #expect(statuses.sorted() == ["ci completed success", "slow in_progress -"])

            let merged = try await seed.call(
                .POST, "/_emulator/pulls/merge",
                ["owner": "acme", "repo": "widgets", "number": number, "method": "squash"])
            #expect(merged.status == 204)
        }
        let pull = try #require(emulator.pullRequest(owner: "acme", repo: "widgets", number: 2))
        #expect(pull.merged)
        // The squash is one commit on main with the pull request's whole change, and the head is gone.
        #expect(try await emulator.commitParents(owner: "acme", repo: "widgets", ref: "main").count == 1)
        #expect(await emulator.fileText(owner: "acme", repo: "widgets", path: "new/name.txt", ref: "main") != nil)
        #expect(await emulator.fileText(owner: "acme", repo: "widgets", path: "gone.txt", ref: "main") == nil)
        #expect(await emulator.branchSHA(owner: "acme", repo: "widgets", branch: "feature") == nil)
        #expect(emulator.protectedBranches(owner: "acme", repo: "widgets") == ["main"])
    }
}
