import Foundation
import PorterEmulators
import PorterKit
import Testing

/// `PUT /pulls/{n}/merge` as GitHub does it: the three methods, the repository's settings, a pinned
/// head, conflicts, drafts and required checks, with the pull request's computed fields around them.
@Suite struct ReviewEmulatorMergeTests {
    static let twoCommits: [(String, [String: String])] = [("Add a", ["a.txt": "a\n"]), ("Add b", ["b.txt": "b\n"])]

    @Test(arguments: EmulatedMergeMethod.allCases)
    func eachMethodLandsThePullRequestAsGitHubDoes(_ method: EmulatedMergeMethod) async throws {
        let world = try await GitHubWorld.make(files: ReviewEmulator.files)
        let emulator = world.emulator
        let (number, head) = try await ReviewEmulator.pull(emulator, title: "Letters", commits: Self.twoCommits)
        // The base moves on meanwhile, so that no method can fast-forward.
        let base = try await emulator.pushCommit(
            owner: "acme", repo: "widgets", branch: "main", files: ["c.txt": "c\n"], message: "Add c")
        let sha = try await ReviewEmulator.run(world) { session in
            let answer = try await session.app.call(
                .PUT, "/repos/acme/widgets/pulls/\(number)/merge", ["merge_method": method.rawValue, "sha": head])
            #expect(answer.status == 200, "\(answer.json)")
            #expect(answer.object["merged"] as? Bool == true)
            #expect(answer.object["message"] as? String == "Pull Request successfully merged")
            let sha = try #require(answer.object["sha"] as? String)

            let closed = try await session.pullRequestEvent("closed", number: number)
            let pull = try #require(closed["pull_request"] as? [String: Any])
            #expect(pull["merged"] as? Bool == true && pull["merge_commit_sha"] as? String == sha)
            #expect((pull["merged_by"] as? [String: Any])?["login"] as? String == "porter[bot]")
            #expect(pull["mergeable"] is NSNull && pull["mergeable_state"] as? String == "unknown")
            // What it changed stays what it was, though the base now holds it.
            #expect(pull["commits"] as? Int == 2 && pull["changed_files"] as? Int == 2)
            #expect(pull["additions"] as? Int == 2 && pull["deletions"] as? Int == 0)
            let files = try await session.app.call(.GET, "/repos/acme/widgets/pulls/\(number)/files").list
            #expect(files.compactMap { $0["filename"] as? String } == ["a.txt", "b.txt"])
            let again = try await session.app.call(.PUT, "/repos/acme/widgets/pulls/\(number)/merge")
            #expect(again.status == 405 && again.message == "Pull Request is not mergeable")
            return sha
        }
        #expect(await emulator.branchSHA(owner: "acme", repo: "widgets", branch: "main") == sha)
        for path in ["a.txt", "b.txt", "c.txt"] {
            #expect(await emulator.fileText(owner: "acme", repo: "widgets", path: path, ref: "main") != nil)
        }
        let parents = try await emulator.commitParents(owner: "acme", repo: "widgets", ref: sha)
        let messages = try await emulator.commitMessages(owner: "acme", repo: "widgets", ref: "main")
        switch method {
        case .merge:
            #expect(parents == [base, head])
            #expect(messages.first == "Merge pull request #\(number) from acme/feature\n\nLetters")
        case .squash:
            #expect(parents == [base])
            #expect(messages.first == "Letters (#\(number))\n\n* Add a\n\n* Add b")
        case .rebase:
            // New commits, the same messages, one after the other on the base.
            #expect(sha != head && messages.prefix(3) == ["Add b", "Add a", "Add c"])
            let first = try #require(parents.first)
            #expect(parents.count == 1 && first != base)
            #expect(try await emulator.commitParents(owner: "acme", repo: "widgets", ref: first) == [base])
        }
        #expect(emulator.pullRequest(owner: "acme", repo: "widgets", number: number)?.merged == true)
    }

    @Test func aMethodTheRepositoryDisallowsIs405AndAnUnknownOneIs422() async throws {
        let world = try await GitHubWorld.make(files: ReviewEmulator.files)
        let emulator = world.emulator
        let (number, _) = try await ReviewEmulator.pull(emulator)
        try emulator.setMergeSettings(
            owner: "acme", repo: "widgets", allowMergeCommit: false, allowSquashMerge: false, allowRebaseMerge: false)
        let before = await emulator.branchSHA(owner: "acme", repo: "widgets", branch: "main")
        try await ReviewEmulator.run(world) { session in
            let path = "/repos/acme/widgets/pulls/\(number)/merge"
            let repository = try await session.app.object("/repos/acme/widgets")
            #expect(repository["allow_merge_commit"] as? Bool == false)
            #expect(repository["delete_branch_on_merge"] as? Bool == false)
            let pull = try await session.app.object("/repos/acme/widgets/pulls/\(number)")
            #expect(
                (pull["base"] as? [String: Any]).flatMap { $0["repo"] as? [String: Any] }?["allow_squash_merge"]
                    as? Bool == false)
            var refusals: [String] = []
            for body: [String: Any] in [[:], ["merge_method": "squash"], ["merge_method": "rebase"]] {
                let answer = try await session.app.call(.PUT, path, body)
                #expect(answer.status == 405)
                refusals.append(answer.message ?? "")
            }
            #expect(
                refusals == [
                    "Merge commits are not allowed on this repository.",
                    "Squash merges are not allowed on this repository.",
                    "Rebase merges are not allowed on this repository.",
                ])
            let unknown = try await session.app.call(.PUT, path, ["merge_method": "octopus"])
            #expect(unknown.status == 422 && unknown.message?.contains("\"octopus\" is not a member") == true)
            #expect(await emulator.branchSHA(owner: "acme", repo: "widgets", branch: "main") == before)

            try emulator.setMergeSettings(owner: "acme", repo: "widgets", allowRebaseMerge: true)
            #expect(try await session.app.call(.PUT, path, ["merge_method": "rebase"]).status == 200)
        }
        #expect(emulator.pullRequest(owner: "acme", repo: "widgets", number: number)?.merged == true)
    }

    @Test func aMergePinnedToAnOldHeadIs409AndMergesNothing() async throws {
        let world = try await GitHubWorld.make(files: ReviewEmulator.files)
        let emulator = world.emulator
        let (number, old) = try await ReviewEmulator.pull(emulator)
        let new = try await emulator.pushCommit(
            owner: "acme", repo: "widgets", branch: "feature", files: ["later.txt": "later\n"], author: "alice")
        let before = try #require(await emulator.branchSHA(owner: "acme", repo: "widgets", branch: "main"))
        try await ReviewEmulator.run(world) { session in
            let path = "/repos/acme/widgets/pulls/\(number)/merge"
            let stale = try await session.app.call(.PUT, path, ["sha": old, "merge_method": "squash"])
            #expect(stale.status == 409)
            #expect(stale.message == "Head branch was modified. Review and try the merge again.")
            #expect(await emulator.branchSHA(owner: "acme", repo: "widgets", branch: "main") == before)
            #expect(emulator.pullRequest(owner: "acme", repo: "widgets", number: number)?.state == "open")
            let current = try await session.app.call(.PUT, path, ["sha": new, "merge_method": "squash"])
            #expect(current.status == 200)
        }
        #expect(await emulator.branchSHA(owner: "acme", repo: "widgets", branch: "main") != before)
    }

    @Test func aConflictAndADraftAreNotMergedAndSaySo() async throws {
        let world = try await GitHubWorld.make(files: ReviewEmulator.files)
        let emulator = world.emulator
        let (conflicting, _) = try await ReviewEmulator.pull(emulator)
        try await emulator.pushCommit(
            owner: "acme", repo: "widgets", branch: "main", files: ["shared.txt": "one\nDOS\nthree\n"])
        let (draft, _) = try await ReviewEmulator.pull(
            emulator, branch: "wip", commits: [("Start", ["wip.txt": "wip\n"])], draft: true)
        let before = await emulator.branchSHA(owner: "acme", repo: "widgets", branch: "main")
        try await ReviewEmulator.run(world) { session in
            let dirty = try await session.app.object("/repos/acme/widgets/pulls/\(conflicting)")
            #expect(dirty["mergeable"] as? Bool == false && dirty["mergeable_state"] as? String == "dirty")
            #expect(dirty["rebaseable"] as? Bool == false)
            let refused = try await session.app.call(.PUT, "/repos/acme/widgets/pulls/\(conflicting)/merge")
            #expect(refused.status == 405 && refused.message == "Pull Request is not mergeable")

            let drafted = try await session.app.object("/repos/acme/widgets/pulls/\(draft)")
            #expect(drafted["draft"] as? Bool == true && drafted["mergeable"] as? Bool == true)
            #expect(drafted["mergeable_state"] as? String == "draft")
            let held = try await session.app.call(.PUT, "/repos/acme/widgets/pulls/\(draft)/merge")
            #expect(held.status == 405 && held.message == "Pull Request is still a draft")
            // Nothing closes or merges, and nothing is sent.
            let list = try await session.app.call(.GET, "/repos/acme/widgets/pulls")
            #expect(list.list.count == 2 && list.list.allSatisfy { $0["mergeable_state"] == nil })
            #expect(session.inbox.all.isEmpty)
        }
        #expect(await emulator.branchSHA(owner: "acme", repo: "widgets", branch: "main") == before)
        #expect(emulator.pullRequests(owner: "acme", repo: "widgets").allSatisfy { $0.state == "open" })
    }

    @Test func requiredChecksHoldAMergeUntilTheyPass() async throws {
        let world = try await GitHubWorld.make(files: ReviewEmulator.files)
        let emulator = world.emulator
        let (number, head) = try await ReviewEmulator.pull(emulator)
        try emulator.protectBranch(owner: "acme", repo: "widgets", branch: "main", requiredChecks: ["ci", "lint"])
        let before = await emulator.branchSHA(owner: "acme", repo: "widgets", branch: "main")
        try await ReviewEmulator.run(world) { session in
            let path = "/repos/acme/widgets/pulls/\(number)"
            func attempt() async throws -> (Int, String?, String?) {
                let answer = try await session.app.call(.PUT, path + "/merge", ["merge_method": "squash"])
                let state = try await session.app.object(path)["mergeable_state"] as? String
                return (answer.status, answer.message, state)
            }
            let branch = try await session.app.object("/repos/acme/widgets/branches/main")
            let protection = try #require(branch["protection"] as? [String: Any])
            #expect(
                (protection["required_status_checks"] as? [String: Any])?["contexts"] as? [String] == ["ci", "lint"])

            var (status, message, state) = try await attempt()
            #expect(status == 405 && message == "2 of 2 required status checks are expected." && state == "blocked")
            let refusal = try await session.app.call(.PUT, path + "/merge")
            #expect(
                refusal.object["documentation_url"] as? String
                    == "https://docs.github.com/articles/about-protected-branches")

            try await emulator.addCheckRun(owner: "acme", repo: "widgets", sha: head, name: "ci", conclusion: "failure")
            (status, message, state) = try await attempt()
            #expect(status == 405 && message == "2 of 2 required status checks have not succeeded: 1 failing.")

            try await emulator.setCommitStatus(
                owner: "acme", repo: "widgets", sha: head, context: "lint", state: "success")
            (status, message, _) = try await attempt()
            #expect(status == 405 && message == "Required status check \"ci\" is failing.")

            // A new run replaces the failed one; while it runs the check is only expected.
            try await emulator.addCheckRun(
                owner: "acme", repo: "widgets", sha: head, name: "ci", status: "in_progress", conclusion: nil)
            (status, message, _) = try await attempt()
            #expect(status == 405 && message == "Required status check \"ci\" is expected.")

            try await emulator.addCheckRun(owner: "acme", repo: "widgets", sha: head, name: "ci")
            #expect(try await session.app.object(path)["mergeable_state"] as? String == "clean")
            // A check the branch does not require can fail: the pull request is unstable, not blocked.
            try await emulator.setCommitStatus(
                owner: "acme", repo: "widgets", sha: head, context: "coverage", state: "failure")
            #expect(try await session.app.object(path)["mergeable_state"] as? String == "unstable")
            #expect(await emulator.branchSHA(owner: "acme", repo: "widgets", branch: "main") == before)
            let merged = try await session.app.call(.PUT, path + "/merge", ["merge_method": "squash"])
            #expect(merged.status == 200)
        }
        #expect(emulator.pullRequest(owner: "acme", repo: "widgets", number: number)?.merged == true)
        #expect(await emulator.branchSHA(owner: "acme", repo: "widgets", branch: "main") != before)
    }
}
