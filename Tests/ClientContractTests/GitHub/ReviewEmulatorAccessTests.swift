import Foundation
import NIOHTTP1
import PorterEmulators
import PorterKit
import Testing

/// A person's own token on pull requests (user-to-server): it reaches what both the App and the
/// person may, so reading needs a role, and merging, editing and deleting branches need push access.
/// Deleting a branch also closes the pull requests it carried.
@Suite struct ReviewEmulatorAccessTests {
    @Test func aPersonReadsWithAnyRoleAndMergesOnlyWithPushAccess() async throws {
        let world = try await GitHubWorld.make(files: ReviewEmulator.files)
        let emulator = world.emulator
        let (number, _) = try await ReviewEmulator.pull(emulator)
        for (login, role) in [("reader", "read"), ("triager", "triage"), ("writer", "write")] {
            emulator.setRole(owner: "acme", repo: "widgets", user: login, role: role)
        }
        let tokens = Dictionary(
            uniqueKeysWithValues: ["reader", "triager", "writer", "stranger"].map { ($0, emulator.userToken(for: $0)) })
        let before = await emulator.branchSHA(owner: "acme", repo: "widgets", branch: "main")
        try await ReviewEmulator.run(world) { session in
            let path = "/repos/acme/widgets/pulls/\(number)"
            let reader = session.caller(tokens["reader"])
            for read in ["/repos/acme/widgets/pulls", path, path + "/files", "/repos/acme/widgets"] {
                #expect(try await reader.call(.GET, read).status == 200, "\(read)")
            }
            let refused = try await reader.call(.PUT, path + "/merge", ["merge_method": "squash"])
            #expect(refused.status == 403 && refused.message == "Resource not accessible by integration")
            #expect(try await reader.call(.PATCH, path, ["state": "closed"]).status == 403)
            #expect(try await reader.call(.DELETE, "/repos/acme/widgets/git/refs/heads/feature").status == 403)
            #expect(await emulator.branchSHA(owner: "acme", repo: "widgets", branch: "main") == before)
            #expect(emulator.pullRequest(owner: "acme", repo: "widgets", number: number)?.state == "open")

            // As on GitHub, anyone who can read the repository may comment, as themselves through the App.
            let comment = try await reader.call(
                .POST, "/repos/acme/widgets/issues/\(number)/comments", ["body": "LGTM"])
            #expect(comment.status == 201)
            #expect((comment.object["user"] as? [String: Any])?["login"] as? String == "reader")
            #expect((comment.object["performed_via_github_app"] as? [String: Any])?["slug"] as? String == "porter")

            let stranger = session.caller(tokens["stranger"])
            for (method, route) in [(HTTPMethod.GET, path), (.GET, path + "/files"), (.PUT, path + "/merge")] {
                #expect(try await stranger.call(method, route).status == 404, "\(route)")
            }
            #expect(
                try await stranger.call(.POST, "/repos/acme/widgets/issues/\(number)/comments", ["body": "hi"]).status
                    == 404)

            // Triage may close and reopen, not edit.
            let triager = session.caller(tokens["triager"])
            #expect(try await triager.call(.PATCH, path, ["title": "Mine now"]).status == 403)
            #expect(try await triager.call(.PATCH, path, ["state": "closed"]).status == 200)
            let closed = try await session.pullRequestEvent("closed", number: number)
            #expect((closed["sender"] as? [String: Any])?["login"] as? String == "triager")
            #expect(try await triager.call(.PATCH, path, ["state": "open"]).status == 200)

            let writer = session.caller(tokens["writer"])
            let merged = try await writer.call(.PUT, path + "/merge", ["merge_method": "squash"])
            #expect(merged.status == 200)
            let event = try await session.pullRequestEvent("closed", number: number, occurrence: 2)
            #expect((event["sender"] as? [String: Any])?["login"] as? String == "writer")
            let pull = try #require(event["pull_request"] as? [String: Any])
            #expect(pull["merged"] as? Bool == true)
            #expect((pull["merged_by"] as? [String: Any])?["login"] as? String == "writer")
        }
        #expect(emulator.pullRequest(owner: "acme", repo: "widgets", number: number)?.merged == true)
        #expect(emulator.comments(owner: "acme", repo: "widgets", issue: number) == ["LGTM"])
    }

    @Test func theAppsOwnPermissionsCapWhatAPersonsTokenMayDo() async throws {
        let emulator = try GitHubEmulator(
            app: EmulatedGitHubApp(
                id: GitHubTestKeys.appID, slug: "porter", publicKeyPEM: GitHubTestKeys.app.publicKey.pemRepresentation,
                permissions: ["contents": "read", "pull_requests": "read", "metadata": "read"]))
        emulator.addUser("acme", type: "Organization")
        try await emulator.addRepository(owner: "acme", name: "widgets", files: ReviewEmulator.files)
        let installation = emulator.addInstallation(account: "acme")
        let world = GitHubWorld(emulator: emulator, installationID: installation)
        let (number, _) = try await ReviewEmulator.pull(emulator)
        emulator.setRole(owner: "acme", repo: "widgets", user: "boss", role: "admin")
        let token = emulator.userToken(for: "boss")
        let statuses = try await world.live { _, port in
            let boss = ReviewCaller(port: port, token: token)
            return [
                try await boss.call(.GET, "/repos/acme/widgets/pulls/\(number)").status,
                try await boss.call(.PUT, "/repos/acme/widgets/pulls/\(number)/merge").status,
                try await boss.call(.DELETE, "/repos/acme/widgets/git/refs/heads/feature").status,
            ]
        }
        #expect(statuses == [200, 403, 403])
        #expect(emulator.pullRequest(owner: "acme", repo: "widgets", number: number)?.merged == false)
        #expect(await emulator.branchSHA(owner: "acme", repo: "widgets", branch: "feature") != nil)
    }

    @Test func deletingABranchClosesItsPullRequestAndThenItIsGone() async throws {
        let world = try await GitHubWorld.make(files: ReviewEmulator.files)
        let emulator = world.emulator
        let (number, head) = try await ReviewEmulator.pull(emulator, branch: "porter/task-7")
        try await emulator.pushCommit(owner: "acme", repo: "widgets", branch: "release", files: ["r": "r\n"])
        try emulator.protectBranch(owner: "acme", repo: "widgets", branch: "release")
        emulator.setRole(owner: "acme", repo: "widgets", user: "writer", role: "write")
        let token = emulator.userToken(for: "writer")
        try await ReviewEmulator.run(world) { session in
            let writer = session.caller(token)
            let path = "/repos/acme/widgets/git/refs/heads/porter/task-7"
            let deleted = try await writer.call(.DELETE, path)
            #expect(deleted.status == 204)
            let closed = try await session.pullRequestEvent("closed", number: number)
            let pull = try #require(closed["pull_request"] as? [String: Any])
            #expect(pull["merged"] as? Bool == false && pull["state"] as? String == "closed")
            #expect((pull["head"] as? [String: Any])?["sha"] as? String == head)
            #expect((closed["sender"] as? [String: Any])?["login"] as? String == "writer")
            // What it changed can still be read.
            let files = try await session.app.call(.GET, "/repos/acme/widgets/pulls/\(number)/files")
            #expect(files.list.compactMap { $0["filename"] as? String } == ["shared.txt"])

            let again = try await writer.call(.DELETE, path)
            #expect(again.status == 422 && again.message == "Reference does not exist")
            let tag = try await session.app.call(.DELETE, "/repos/acme/widgets/git/refs/tags/v1")
            #expect(tag.status == 422)
            let protected = try await session.app.call(.DELETE, "/repos/acme/widgets/git/refs/heads/release")
            #expect(protected.status == 422 && protected.message == "Cannot delete this protected branch")
        }
        #expect(await emulator.branchSHA(owner: "acme", repo: "widgets", branch: "porter/task-7") == nil)
        #expect(await emulator.branchSHA(owner: "acme", repo: "widgets", branch: "release") != nil)
        #expect(emulator.pullRequest(owner: "acme", repo: "widgets", number: number)?.state == "closed")
    }

    @Test func aRepositoryThatDeletesMergedBranchesDeletesTheHead() async throws {
        let world = try await GitHubWorld.make(files: ReviewEmulator.files)
        let emulator = world.emulator
        let (number, _) = try await ReviewEmulator.pull(emulator)
        try emulator.setMergeSettings(owner: "acme", repo: "widgets", deleteBranchOnMerge: true)
        try await ReviewEmulator.run(world) { session in
            let repository = try await session.app.object("/repos/acme/widgets")
            #expect(repository["delete_branch_on_merge"] as? Bool == true)
            #expect(try await session.app.call(.PUT, "/repos/acme/widgets/pulls/\(number)/merge").status == 200)
        }
        #expect(await emulator.branchSHA(owner: "acme", repo: "widgets", branch: "feature") == nil)
        #expect(try await emulator.branches(owner: "acme", repo: "widgets") == ["main"])
    }
}
