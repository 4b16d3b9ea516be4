import Foundation
import PorterKit
import Testing

/// Where a follow-up may push: the decision and the reply for every case the issue names.
@Suite struct FollowUpTargetTests {
    static func pull(
        state: String = "open", merged: Bool = false, head: String = "porter/issue-3-abc", headRepo: Int64? = 10,
        base: String = "main"
    ) throws -> GitHubPullRequest {
        let json = """
            {"id": 1, "number": 7, "state": "\(state)", "title": "t", "merged": \(merged), "html_url": "h",
             "user": {"login": "porter[bot]", "id": 1},
             "head": {"ref": "\(head)", "sha": "abc", "repo": \(headRepo.map { "{\"id\": \($0), \"full_name\": \"o/r\"}" } ?? "null")},
             "base": {"ref": "\(base)", "sha": "def", "repo": {"id": 10, "full_name": "o/r"}}}
            """
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(GitHubPullRequest.self, from: Data(json.utf8))
    }

    static func check(
        _ pull: GitHubPullRequest, protected: Bool = false, gone: Bool = false, porters: Bool = true,
        any: Bool = false
    ) -> FollowUpTarget.Refusal? {
        FollowUpTarget.check(
            pull: pull, repositoryID: 10, defaultBranch: "main",
            headBranch: gone ? nil : GitHubBranch(name: pull.head.ref, sha: "abc", isProtected: protected),
            openedByPorter: porters, anyPullRequest: any)
    }

    @Test func porterPullRequestOnItsOwnBranchMayBeFollowedUp() throws {
        #expect(Self.check(try Self.pull()) == nil)
    }

    @Test func everyRefusalTheIssueNames() throws {
        #expect(Self.check(try Self.pull(state: "closed", merged: true)) == .merged)
        #expect(Self.check(try Self.pull(state: "closed")) == .closed)
        #expect(Self.check(try Self.pull(headRepo: 99)) == .fork)
        #expect(Self.check(try Self.pull(headRepo: nil)) == .fork)
        #expect(Self.check(try Self.pull(head: "main", base: "main")) == .defaultBranch("main"))
        #expect(Self.check(try Self.pull(head: "release", base: "release")) == .baseBranch("release"))
        #expect(Self.check(try Self.pull(), protected: true) == .protectedBranch("porter/issue-3-abc"))
        #expect(Self.check(try Self.pull(), gone: true) == .branchGone("porter/issue-3-abc"))
        #expect(Self.check(try Self.pull(head: "feature"), porters: false) == .notOpenedByPorter)
    }

    @Test func anyPullRequestAllowsOthersButNeverAForkOrTheDefaultBranch() throws {
        #expect(Self.check(try Self.pull(head: "feature"), porters: false, any: true) == nil)
        #expect(Self.check(try Self.pull(headRepo: 99), porters: false, any: true) == .fork)
        #expect(
            Self.check(try Self.pull(head: "main", base: "dev"), porters: false, any: true) == .defaultBranch("main"))
        #expect(
            Self.check(try Self.pull(head: "feature"), protected: true, porters: false, any: true)
                == .protectedBranch("feature"))
    }

    @Test func repliesSayWhyAndHowToStartAgain() {
        let merged = FollowUpTarget.Refusal.merged.reply(pull: 7, issue: 3)
        #expect(merged.contains("#7 is already merged"))
        #expect(merged.contains("comment `@porter <agent> …` on #3"))
        #expect(FollowUpTarget.Refusal.fork.reply(pull: 7, issue: nil).contains("fork"))
        #expect(FollowUpTarget.Refusal.closed.reply(pull: 7, issue: nil).contains("open an issue"))
    }
}
