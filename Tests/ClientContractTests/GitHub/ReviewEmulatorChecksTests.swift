import Foundation
import PorterEmulators
import PorterKit
import Testing

/// A commit's check runs and combined status, by commit or branch, for installation tokens with
/// `checks`/`statuses` read and for people who can read the repository.
@Suite struct ReviewEmulatorChecksTests {
    @Test func checkRunsListTheNewestRunOfEachNameWithGitHubsFields() async throws {
        let world = try await GitHubWorld.make(files: ReviewEmulator.files)
        let emulator = world.emulator
        let (number, head) = try await ReviewEmulator.pull(emulator, branch: "porter/fix-login")
        let running = try await emulator.addCheckRun(
            owner: "acme", repo: "widgets", sha: head, name: "ci", status: "in_progress", conclusion: nil)
        let passed = try await emulator.addCheckRun(
            owner: "acme", repo: "widgets", sha: "porter/fix-login", name: "ci",
            detailsURL: "https://ci.example.com/runs/9")
        let failed = try await emulator.addCheckRun(
            owner: "acme", repo: "widgets", sha: head, name: "lint", conclusion: "failure", appSlug: "linter",
            appName: "Linter")
        await #expect(throws: (any Error).self) {
            try await emulator.addCheckRun(owner: "acme", repo: "widgets", sha: head, name: "x", conclusion: "great")
        }
        emulator.setRole(owner: "acme", repo: "widgets", user: "reader", role: "read")
        let reader = emulator.userToken(for: "reader")
        let stranger = emulator.userToken(for: "stranger")
        try await ReviewEmulator.run(world) { session in
            let app = try await session.installation(["checks": "read"])
            let path = "/repos/acme/widgets/commits/\(head)/check-runs"
            let latest = try await app.object(path)
            #expect(latest["total_count"] as? Int == 2)
            let runs = try #require(latest["check_runs"] as? [[String: Any]])
            #expect(runs.compactMap { $0["id"] as? Int } == [failed, passed])
            let ci = try #require(runs.last)
            #expect(ci["name"] as? String == "ci" && ci["head_sha"] as? String == head)
            #expect(ci["status"] as? String == "completed" && ci["conclusion"] as? String == "success")
            #expect(ci["details_url"] as? String == "https://ci.example.com/runs/9")
            #expect((ci["html_url"] as? String)?.hasSuffix("/acme/widgets/runs/\(passed)") == true)
            #expect(ci["started_at"] is String && ci["completed_at"] is String)
            let app0 = try #require(ci["app"] as? [String: Any])
            #expect(app0["slug"] as? String == "github-actions" && app0["name"] as? String == "GitHub Actions")
            #expect(((runs.first?["app"] as? [String: Any])?["slug"] as? String) == "linter")
            #expect((ci["pull_requests"] as? [[String: Any]])?.compactMap { $0["number"] as? Int } == [number])

            let all = try await app.object(path + "?filter=all")
            #expect(all["total_count"] as? Int == 3)
            let first = try #require((all["check_runs"] as? [[String: Any]])?.last)
            #expect(first["id"] as? Int == running && first["conclusion"] is NSNull && first["completed_at"] is NSNull)
            let named = try await app.object(path + "?check_name=lint")
            #expect(named["total_count"] as? Int == 1)

            // A branch name, slashes and all, names its head commit.
            let byBranch = try await app.object("/repos/acme/widgets/commits/porter/fix-login/check-runs")
            #expect(byBranch["total_count"] as? Int == 2)
            let unknown = try await app.call(.GET, "/repos/acme/widgets/commits/nowhere/check-runs")
            #expect(unknown.status == 422 && unknown.message == "No commit found for SHA: nowhere")

            let noChecks = try await session.installation(["contents": "read"])
            #expect(try await noChecks.call(.GET, path).status == 403)
            #expect(try await session.caller(reader).call(.GET, path).status == 200)
            #expect(try await session.caller(stranger).call(.GET, path).status == 404)
        }
    }

    @Test func theCombinedStatusIsTheWorstOfEachContextsNewest() async throws {
        let world = try await GitHubWorld.make(files: ReviewEmulator.files)
        let emulator = world.emulator
        let (_, head) = try await ReviewEmulator.pull(emulator)
        let main = try #require(await emulator.branchSHA(owner: "acme", repo: "widgets", branch: "main"))
        try await emulator.setCommitStatus(owner: "acme", repo: "widgets", sha: head, context: "ci", state: "pending")
        let ci = try await emulator.setCommitStatus(
            owner: "acme", repo: "widgets", sha: head, context: "ci", state: "success", description: "Passed",
            targetURL: "https://ci.example.com/1")
        try await emulator.setCommitStatus(owner: "acme", repo: "widgets", sha: main, context: "ci", state: "success")
        emulator.setRole(owner: "acme", repo: "widgets", user: "reader", role: "read")
        let reader = emulator.userToken(for: "reader")
        try await ReviewEmulator.run(world) { session in
            let app = try await session.installation(["statuses": "read"])
            let path = "/repos/acme/widgets/commits/feature/status"
            var combined = try await app.object(path)
            #expect(combined["state"] as? String == "success" && combined["sha"] as? String == head)
            #expect(combined["total_count"] as? Int == 1)
            let status = try #require((combined["statuses"] as? [[String: Any]])?.first)
            #expect(status["id"] as? Int == ci && status["context"] as? String == "ci")
            #expect(status["state"] as? String == "success" && status["description"] as? String == "Passed")
            #expect(status["target_url"] as? String == "https://ci.example.com/1")
            #expect(status["created_at"] is String && status["updated_at"] is String)

            try await emulator.setCommitStatus(
                owner: "acme", repo: "widgets", sha: head, context: "deploy", state: "pending")
            combined = try await app.object(path)
            #expect(combined["state"] as? String == "pending" && combined["total_count"] as? Int == 2)
            try await emulator.setCommitStatus(
                owner: "acme", repo: "widgets", sha: head, context: "docs", state: "error")
            #expect(try await app.object(path)["state"] as? String == "failure")
            #expect(try await session.caller(reader).object(path)["state"] as? String == "failure")

            // A commit nobody reported on is pending, with no statuses.
            let other = try await emulator.pushCommit(
                owner: "acme", repo: "widgets", branch: "other", files: ["o.txt": "o\n"])
            let quiet = try await app.object("/repos/acme/widgets/commits/\(other)/status")
            #expect(quiet["state"] as? String == "pending" && quiet["total_count"] as? Int == 0)
            #expect(try await session.installation(["checks": "read"]).call(.GET, path).status == 403)
        }
    }
}
