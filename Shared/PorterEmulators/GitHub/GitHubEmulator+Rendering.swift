import Foundation

extension GitHubEmulator {
    /// A known account, or a plain user (bots included) made up on the spot with a stable id.
    func user(_ login: String) -> EmulatedUser {
        state.withLock { state in
            if let user = state.users[login.lowercased()] { return user }
            let user = EmulatedUser(
                id: state.newID(), login: login, type: login.hasSuffix("[bot]") ? "Bot" : "User")
            state.users[login.lowercased()] = user
            return user
        }
    }

    /// A repository; `settings` adds its merge settings, which GitHub shows in the repository's own
    /// answer and in pull requests' `head.repo` and `base.repo`, not in webhooks' `repository`.
    func repositoryJSON(_ repository: EmulatedRepository, settings: Bool = false) -> [String: Any] {
        let open = state.withLock { $0.issues[repository.id]?.values.count { $0.state == "open" } ?? 0 }
        var object = json.repository(repository, owner: user(repository.owner), openIssues: open)
        if settings {
            object["allow_merge_commit"] = repository.allowMergeCommit
            object["allow_squash_merge"] = repository.allowSquashMerge
            object["allow_rebase_merge"] = repository.allowRebaseMerge
            object["delete_branch_on_merge"] = repository.deleteBranchOnMerge
        }
        return object
    }

    /// An issue as the REST API answers it; `webhook` leaves out what GitHub's webhook payloads of
    /// issues do not carry (`performed_via_github_app`, `state_reason`).
    func issueJSON(
        _ repository: EmulatedRepository, _ number: Int, webhook: Bool = false
    ) throws(GitHubAPIError)
        -> [String: Any]
    {
        let found = state.withLock { state in
            state.issues[repository.id]?[number].map { issue in
                (issue, state.comments.values.count { $0.repositoryID == repository.id && $0.issueNumber == number })
            }
        }
        guard let (issue, comments) = found else { throw .notFound }
        var object = json.issue(
            issue, repository: repository, author: user(issue.author), comments: comments, app: appJSON,
            labelIDs: { name in self.state.withLock { $0.labelID(name) } })
        if webhook {
            object["performed_via_github_app"] = nil
            object["state_reason"] = nil
        }
        return object
    }

    /// The App as GitHub embeds it in what it did (`performed_via_github_app`).
    var appJSON: [String: Any] {
        [
            "id": app.id, "slug": app.slug, "node_id": GitHubJSON.nodeID("03:Integration", app.id), "name": app.slug,
            "client_id": app.clientID, "description": "", "external_url": baseURL,
            "html_url": "\(baseURL)/apps/\(app.slug)", "owner": NSNull(), "permissions": app.permissions,
            "events": Self.subscribedEvents,
        ]
    }

    func commentJSON(_ id: Int) throws(GitHubAPIError) -> [String: Any] {
        let found = state.withLock { state in
            state.comments[id].flatMap { comment in state.repositories[comment.repositoryID].map { (comment, $0) } }
        }
        guard let (comment, repository) = found else { throw .notFound }
        return json.comment(comment, repository: repository, author: user(comment.author), app: appJSON)
    }

    func createComment(
        _ repository: EmulatedRepository, issue number: Int, author: String, body: String, viaApp: Bool = false
    ) throws(GitHubAPIError) -> Int {
        try state.withLock { state throws(GitHubAPIError) in
            guard state.issues[repository.id]?[number] != nil else { throw .notFound }
            let id = state.newID()
            let now = Date()
            state.comments[id] = EmulatedComment(
                id: id, repositoryID: repository.id, issueNumber: number, author: author, body: body, createdAt: now,
                updatedAt: now, viaApp: viaApp)
            state.issues[repository.id]![number]!.updatedAt = now
            return id
        }
    }
}
