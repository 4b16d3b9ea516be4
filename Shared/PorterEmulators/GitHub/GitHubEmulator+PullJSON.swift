import Foundation

extension GitHubEmulator {
    func pullJSON(_ pull: EmulatedPull, _ repository: EmulatedRepository) async -> [String: Any] {
        let headSHA = await git.branchSHA(owner: repository.owner, name: repository.name, branch: pull.head) ?? ""
        let baseSHA = await git.branchSHA(owner: repository.owner, name: repository.name, branch: pull.base) ?? ""
        let owner = json.user(user(repository.owner))
        let repo = repositoryJSON(repository)
        let url = "\(baseURL)/repos/\(repository.fullName)/pulls/\(pull.number)"
        let html = "\(baseURL)/\(repository.fullName)/pull/\(pull.number)"
        func ref(_ name: String, _ sha: String) -> [String: Any] {
            ["label": "\(repository.owner):\(name)", "ref": name, "sha": sha, "user": owner, "repo": repo]
        }
        return [
            "url": url, "id": pull.id, "node_id": GitHubJSON.nodeID("011:PullRequest", pull.id), "html_url": html,
            "diff_url": "\(html).diff", "patch_url": "\(html).patch",
            "issue_url": "\(baseURL)/repos/\(repository.fullName)/issues/\(pull.number)", "number": pull.number,
            "state": pull.state, "locked": false, "title": pull.title, "user": json.user(user(pull.author)),
            "body": pull.body ?? NSNull(), "created_at": GitHubJSON.timestamp(pull.createdAt),
            "updated_at": GitHubJSON.timestamp(pull.mergedAt ?? pull.createdAt),
            "closed_at": pull.state == "closed" ? GitHubJSON.timestamp(pull.mergedAt ?? Date()) : NSNull(),
            "merged_at": pull.mergedAt.map(GitHubJSON.timestamp) ?? NSNull(),
            "merge_commit_sha": pull.mergeCommitSHA ?? NSNull(), "assignee": NSNull(), "assignees": [Any](),
            "requested_reviewers": [Any](), "labels": [Any](), "draft": pull.draft, "head": ref(pull.head, headSHA),
            "base": ref(pull.base, baseSHA), "author_association": "NONE", "merged": pull.mergedAt != nil,
            "mergeable": pull.state == "open" ? true : NSNull(), "comments": 0, "commits": 1,
        ]
    }
}
