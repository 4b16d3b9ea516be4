import Foundation

extension GitHubEmulator {
    /// A pull request as GitHub renders it. `detailed` adds what only the single pull request and
    /// webhooks carry, which GitHub computes (mergeability, sizes) and lists leave out.
    func pullJSON(_ pull: EmulatedPull, _ repository: EmulatedRepository, detailed: Bool = true) async -> [String: Any]
    {
        let headRepository = state.withLock { $0.repositories[pull.headRepositoryID] } ?? repository
        let branchHead = await git.branchSHA(
            owner: headRepository.owner, name: headRepository.name, branch: pull.head)
        let headSHA = pull.frozen?.head ?? branchHead ?? ""
        let baseSHA = await git.branchSHA(owner: repository.owner, name: repository.name, branch: pull.base) ?? ""
        let counts = state.withLock { state in
            (
                comments: state.comments.values.count {
                    $0.repositoryID == repository.id && $0.issueNumber == pull.number
                },
                reviewComments: state.reviewComments.values.count {
                    $0.repositoryID == repository.id && $0.pullNumber == pull.number
                }
            )
        }
        let api = "\(baseURL)/repos/\(repository.fullName)"
        let url = "\(api)/pulls/\(pull.number)"
        let html = "\(baseURL)/\(repository.fullName)/pull/\(pull.number)"
        func ref(_ name: String, _ sha: String, in repository: EmulatedRepository) -> [String: Any] {
            [
                "label": "\(repository.owner):\(name)", "ref": name, "sha": sha,
                "user": json.user(user(repository.owner)), "repo": repositoryJSON(repository, settings: true),
            ]
        }
        var object: [String: Any] = [
            "url": url, "id": pull.id, "node_id": GitHubJSON.nodeID("011:PullRequest", pull.id), "html_url": html,
            "diff_url": "\(html).diff", "patch_url": "\(html).patch", "issue_url": "\(api)/issues/\(pull.number)",
            "commits_url": "\(url)/commits", "review_comments_url": "\(url)/comments",
            "review_comment_url": "\(api)/pulls/comments{/number}",
            "comments_url": "\(api)/issues/\(pull.number)/comments",
            "statuses_url": "\(api)/statuses/\(headSHA)", "number": pull.number, "state": pull.state, "locked": false,
            "title": pull.title, "user": json.user(user(pull.author)), "body": pull.body ?? NSNull(),
            "created_at": GitHubJSON.timestamp(pull.createdAt), "updated_at": GitHubJSON.timestamp(pull.updatedAt),
            "closed_at": pull.closedAt.map(GitHubJSON.timestamp) ?? NSNull(),
            "merged_at": pull.mergedAt.map(GitHubJSON.timestamp) ?? NSNull(),
            "merge_commit_sha": pull.mergeCommitSHA ?? NSNull(), "assignee": NSNull(), "assignees": [Any](),
            "requested_reviewers": [Any](), "requested_teams": [Any](), "labels": [Any](), "milestone": NSNull(),
            "draft": pull.draft, "head": ref(pull.head, headSHA, in: headRepository),
            "base": ref(pull.base, baseSHA, in: repository),
            "author_association": pull.author == botLogin ? "NONE" : "CONTRIBUTOR", "merged": pull.mergedAt != nil,
            "mergeable": pull.state == "open" ? true : NSNull(), "comments": counts.comments,
            "review_comments": counts.reviewComments, "commits": 1,
        ]
        guard detailed else { return object }
        let condition = await condition(pull, repository, headSHA: headSHA)
        object["mergeable"] = condition.mergeable ?? NSNull()
        object["rebaseable"] = condition.mergeable ?? NSNull()
        object["mergeable_state"] = condition.mergeableState
        object["additions"] = condition.summary.additions
        object["deletions"] = condition.summary.deletions
        object["changed_files"] = condition.summary.changedFiles
        object["commits"] = condition.summary.commits
        object["merged_by"] = pull.mergedBy.map { json.user(user($0)) as Any } ?? NSNull()
        object["maintainer_can_modify"] = false
        object["auto_merge"] = NSNull()
        object["active_lock_reason"] = NSNull()
        return object
    }

    /// Where the pull request's head commit can be read in the base repository: the branch itself, or
    /// for a fork `refs/pull/<n>/head`, fetched from the fork first as GitHub keeps it.
    func headRef(_ pull: EmulatedPull, _ repository: EmulatedRepository) async throws -> String {
        guard pull.isFromFork, let fork = state.withLock({ $0.repositories[pull.headRepositoryID] }) else {
            return "refs/heads/\(pull.head)"
        }
        return try await git.fetchPullHead(
            owner: repository.owner, name: repository.name, number: pull.number, headOwner: fork.owner,
            headName: fork.name, branch: pull.head)
    }
}
