import Foundation

/// Merging, closing and editing pull requests, shared by the REST routes and the seeding API, and
/// the `pull_request` webhook they send.
extension GitHubEmulator {
    /// Edits a pull request as `PATCH /pulls/{n}` does, keeping its issue in step. Returns the pull
    /// request and the `pull_request` action to send (`closed`, `reopened`) when its state changed.
    func editPull(
        _ repository: EmulatedRepository, _ number: Int, title: String?, body: String?, state wanted: String?
    ) -> (EmulatedPull, action: String?) {
        state.withLock { state in
            var pull = state.pulls[repository.id]![number]!
            var issue = state.issues[repository.id]?[number]
            let now = Date()
            var action: String?
            if let title {
                pull.title = title
                issue?.title = title
            }
            if let body {
                pull.body = body
                issue?.body = body
            }
            if let wanted, ["open", "closed"].contains(wanted), pull.mergedAt == nil, wanted != pull.state {
                pull.state = wanted
                pull.closedAt = wanted == "closed" ? now : nil
                issue?.state = wanted
                issue?.closedAt = pull.closedAt
                action = wanted == "closed" ? "closed" : "reopened"
            }
            pull.updatedAt = now
            issue?.updatedAt = now
            state.pulls[repository.id]![number] = pull
            if let issue { state.issues[repository.id]![number] = issue }
            return (pull, action)
        }
    }

    /// Sends `pull_request` with `action`; `closed` carries `merged` in the pull request, as on GitHub.
    func deliverPullRequestEvent(_ action: String, repository: EmulatedRepository, number: Int, sender: String) async {
        guard webhookTarget.withLock({ $0 }) != nil,
            let pull = state.withLock({ $0.pulls[repository.id]?[number] })
        else { return }
        let object = await pullJSON(pull, repository)
        await deliver(
            "pull_request", action: action, repository: repository, sender: sender,
            fields: ["number": number, "pull_request": object])
    }

    /// The repository and one of its pull requests, or 404.
    func repositoryAndPull(
        owner: String, repo: String, number: Int
    ) throws(GitHubAPIError) -> (
        EmulatedRepository, EmulatedPull
    ) {
        let found = state.withLock { state in
            state.repository(owner: owner, name: repo).flatMap { repository in
                state.pulls[repository.id]?[number].map { (repository, $0) }
            }
        }
        guard let found else { throw .notFound }
        return found
    }
}
