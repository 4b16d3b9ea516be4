import Foundation

/// Merging a pull request as `PUT /pulls/{n}/merge` does, with GitHub's refusals in GitHub's order.
extension GitHubEmulator {
    /// What a merge asks for: `merge_method`, `sha`, `commit_title` and `commit_message`.
    struct MergeOrder {
        var method = EmulatedMergeMethod.merge
        var sha: String?
        var title: String?
        var message: String?
        /// A person merging through the seeding API goes around draft state, the repository's merge
        /// methods and branch protection, as an administrator may.
        var enforcesRules = true
    }

    static let protectedBranchesArticle = "https://docs.github.com/articles/about-protected-branches"

    /// Lands an open pull request on its base, closes it as merged and returns the new commit on
    /// the base. Nothing changes when it is refused.
    func mergePull(
        _ repository: EmulatedRepository, _ pull: EmulatedPull, _ order: MergeOrder, by login: String
    ) async throws -> String {
        let notMergeable = GitHubAPIError(status: .methodNotAllowed, message: "Pull Request is not mergeable")
        let claimed = state.withLock { state in
            state.pulls[repository.id]?[pull.number]?.state == "open" ? state.mergesInFlight.insert(pull.id) : nil
        }
        guard let claimed else { throw notMergeable }
        guard claimed.inserted else {
            throw GitHubAPIError(status: .methodNotAllowed, message: "Merge already in progress")
        }
        defer { state.withLock { _ = $0.mergesInFlight.remove(pull.id) } }
        // The settings and the pull request as they are now, not as the caller read them.
        let (repository, pull) = state.withLock { state in
            (state.repositories[repository.id] ?? repository, state.pulls[repository.id]?[pull.number] ?? pull)
        }
        let head = try await headRef(pull, repository)
        guard let headSHA = await git.resolveCommit(owner: repository.owner, name: repository.name, ref: head),
            let baseSHA = await git.branchSHA(owner: repository.owner, name: repository.name, branch: pull.base)
        else { throw notMergeable }
        if let sha = order.sha, sha != headSHA {
            throw GitHubAPIError(
                status: .conflict, message: "Head branch was modified. Review and try the merge again.")
        }
        if order.enforcesRules { try checkRules(repository, pull, order.method, headSHA: headSHA) }
        let (message, author) = try await commitMessage(
            repository, pull, order, base: baseSHA, head: headSHA, by: login)
        let landing = try await git.land(
            owner: repository.owner, name: repository.name, base: pull.base, baseSHA: baseSHA, headSHA: headSHA,
            method: order.method, message: message, author: author)
        let tip: String
        switch landing {
        case .conflict: throw notMergeable
        case .baseMoved:
            throw GitHubAPIError(
                status: .methodNotAllowed, message: "Base branch was modified. Review and try the merge again.")
        case .landed(let sha): tip = sha
        }
        let now = Date()
        state.withLock { state in
            guard var merged = state.pulls[repository.id]?[pull.number] else { return }
            merged.state = "closed"
            merged.mergedAt = now
            merged.closedAt = now
            merged.updatedAt = now
            merged.mergeCommitSHA = tip
            merged.mergedBy = login
            merged.frozen = (baseSHA, headSHA)
            state.pulls[repository.id]?[pull.number] = merged
            state.issues[repository.id]?[pull.number]?.state = "closed"
            state.issues[repository.id]?[pull.number]?.closedAt = now
            state.issues[repository.id]?[pull.number]?.updatedAt = now
        }
        closeIssues(namedBy: pull, in: repository, at: now)
        let protected = state.withLock { $0.protectedBranches[repository.id]?.contains(pull.head) ?? false }
        if repository.deleteBranchOnMerge && !pull.isFromFork && !protected && pull.head != repository.defaultBranch {
            _ = await git.deleteBranch(owner: repository.owner, name: repository.name, branch: pull.head, at: headSHA)
        }
        return tip
    }

    /// Draft state, the repository's merge methods and the base branch's required checks.
    func checkRules(
        _ repository: EmulatedRepository, _ pull: EmulatedPull, _ method: EmulatedMergeMethod, headSHA: String
    ) throws(GitHubAPIError) {
        if pull.draft { throw GitHubAPIError(status: .methodNotAllowed, message: "Pull Request is still a draft") }
        let refusal: String? =
            switch method {
            case .merge: repository.allowMergeCommit ? nil : "Merge commits are not allowed on this repository."
            case .squash: repository.allowSquashMerge ? nil : "Squash merges are not allowed on this repository."
            case .rebase: repository.allowRebaseMerge ? nil : "Rebase merges are not allowed on this repository."
            }
        if let refusal { throw GitHubAPIError(status: .methodNotAllowed, message: refusal) }
        let required = requiredChecks(repository, branch: pull.base)
        if let refusal = Self.protectionRefusal(required: required, outcomes: checkOutcomes(repository, sha: headSHA)) {
            throw GitHubAPIError(
                status: .methodNotAllowed, message: refusal, documentationURL: Self.protectedBranchesArticle)
        }
    }

    /// GitHub's default messages: "Merge pull request #n from owner/branch" over the title for a
    /// merge commit, by whoever merged; "<title> (#n)" over the commits' subjects for a squash, by
    /// the pull request's author. A rebase keeps each commit's own message and author.
    func commitMessage(
        _ repository: EmulatedRepository, _ pull: EmulatedPull, _ order: MergeOrder, base: String, head: String,
        by login: String
    ) async throws -> (String, GitRepositoryStore.Signature) {
        let merger = GitRepositoryStore.Signature(name: login, email: "\(login)@users.noreply.github.com")
        switch order.method {
        case .merge:
            let headOwner = state.withLock { $0.repositories[pull.headRepositoryID]?.owner } ?? repository.owner
            let title = order.title ?? "Merge pull request #\(pull.number) from \(headOwner)/\(pull.head)"
            return (Self.joined(title, order.message ?? pull.title), merger)
        case .squash:
            let subjects = try await git.subjects(
                owner: repository.owner, name: repository.name, base: base, head: head)
            let title = order.title ?? "\(pull.title) (#\(pull.number))"
            let body = order.message ?? subjects.map { "* \($0)" }.joined(separator: "\n\n")
            let author = GitRepositoryStore.Signature(
                name: pull.author, email: "\(pull.author)@users.noreply.github.com")
            return (Self.joined(title, body), author)
        case .rebase:
            return ("", merger)
        }
    }

    static func joined(_ title: String, _ body: String) -> String {
        body.isEmpty ? title : "\(title)\n\n\(body)"
    }
}
