import Foundation

/// What people do around pull requests, for tests: push commits, fork, open, protect, merge and close.
/// Each webhook goes out before the call returns.
extension GitHubEmulator {
    /// Someone pushes one commit to `branch` and returns its sha: `files` written as text,
    /// `binaryFiles` as bytes, `deletions` removed and `renames` moved (old path → new path, the
    /// content kept unless `files` rewrites the new path). A missing branch is created from `from`
    /// (the default branch when nil). Branch protection does not apply.
    @discardableResult
    public func pushCommit(
        owner: String, repo: String, branch: String, files: [String: String] = [:],
        binaryFiles: [String: Data] = [:], deletions: [String] = [], renames: [String: String] = [:],
        message: String = "Update files", author: String = "octocat", from: String? = nil
    ) async throws -> String {
        addUser(author)
        guard let repository = state.withLock({ $0.repository(owner: owner, name: repo) }) else {
            throw GitHubAPIError.notFound
        }
        let sha = try await git.commit(
            owner: repository.owner, name: repository.name, branch: branch, files: files,
            changes: FileChanges(binary: binaryFiles, deletions: deletions, renames: renames), message: message,
            author: (author, "\(author)@users.noreply.github.com"), from: from ?? repository.defaultBranch)
        state.withLock { state in
            let now = Date()
            for (repositoryID, pulls) in state.pulls {
                for pull in pulls.values
                where pull.headRepositoryID == repository.id && pull.head == branch && pull.state == "open" {
                    state.pulls[repositoryID]![pull.number]!.updatedAt = now
                }
            }
        }
        return sha
    }

    /// Forks `owner/repo` into `forkOwner`'s account (the same history and branches) and returns the
    /// fork's id; an existing repository of that name is returned as it is.
    @discardableResult
    public func forkRepository(owner: String, repo: String, into forkOwner: String) async throws -> Int {
        guard let parent = state.withLock({ $0.repository(owner: owner, name: repo) }) else {
            throw GitHubAPIError.notFound
        }
        if let existing = state.withLock({ $0.repository(owner: forkOwner, name: parent.name) }) { return existing.id }
        addUser(forkOwner)
        try await git.fork(owner: parent.owner, name: parent.name, into: forkOwner)
        return state.withLock { state in
            let id = state.newID()
            state.repositories[id] = EmulatedRepository(
                id: id, owner: forkOwner, name: parent.name, defaultBranch: parent.defaultBranch,
                isPrivate: parent.isPrivate, createdAt: Date(), parentID: parent.id)
            return id
        }
    }

    /// A person opens a pull request from `head` into `base` (the default branch when nil) and returns
    /// its number. With `headOwner`, the head is a branch of `<headOwner>/<repo>`, a fork.
    @discardableResult
    public func addPullRequest(
        owner: String, repo: String, title: String, body: String? = nil, head: String, base: String? = nil,
        author: String, headOwner: String? = nil, draft: Bool = false
    ) async throws -> Int {
        addUser(author)
        let found = state.withLock { state in
            state.repository(owner: owner, name: repo).map { repository in
                (repository, headOwner.flatMap { state.repository(owner: $0, name: repository.name) } ?? repository)
            }
        }
        guard let (repository, headRepository) = found else { throw GitHubAPIError.notFound }
        if let headOwner, headRepository.owner.lowercased() != headOwner.lowercased() {
            throw GitHubAPIError.unprocessable("Validation Failed: no repository \(headOwner)/\(repository.name)")
        }
        if headRepository.id != repository.id && headRepository.parentID == nil {
            // GitHub opens pull requests across repositories only from forks.
            state.withLock { $0.repositories[headRepository.id]?.parentID = repository.id }
        }
        let base = base ?? repository.defaultBranch
        if await git.branchSHA(owner: headRepository.owner, name: headRepository.name, branch: head) == nil {
            throw GitHubAPIError.unprocessable("Validation Failed: head invalid")
        }
        if await git.branchSHA(owner: repository.owner, name: repository.name, branch: base) == nil {
            throw GitHubAPIError.unprocessable("Validation Failed: base invalid")
        }
        let pull = try insertPull(
            repository, headRepository: headRepository, title: title, body: body, head: head, base: base,
            author: author, draft: draft)
        return pull.number
    }

    /// Protects a branch (or lifts its protection): the branch API reports it, and pushes to it over
    /// git are refused with GitHub's GH006 error. `requiredChecks` (check run names or status
    /// contexts) must then succeed on a pull request's head before it merges into the branch; nil
    /// keeps the ones set before. Lifting the protection drops them.
    public func protectBranch(
        owner: String, repo: String, branch: String, protected: Bool = true, requiredChecks: [String]? = nil
    ) throws {
        try state.withLock { state throws in
            guard let repository = state.repository(owner: owner, name: repo) else { throw GitHubAPIError.notFound }
            var branches = state.protectedBranches[repository.id] ?? []
            if protected { branches.insert(branch) } else { branches.remove(branch) }
            state.protectedBranches[repository.id] = branches
            if !protected {
                state.requiredChecks[repository.id]?[branch] = nil
            } else if let requiredChecks {
                state.requiredChecks[repository.id, default: [:]][branch] = requiredChecks
            }
            // Written under the lock, so that concurrent changes reach the file in order.
            try git.setProtectedBranches(owner: repository.owner, name: repository.name, branches: branches)
        }
    }

    /// A person merges an open pull request with `method`, as an administrator may whatever the
    /// repository's settings and branch protection say; `pull_request` (`closed`, merged) goes out.
    /// Returns the new commit on the base.
    @discardableResult
    public func mergePullRequest(
        owner: String, repo: String, number: Int, by login: String = "octocat",
        method: EmulatedMergeMethod = .merge
    ) async throws -> String {
        addUser(login)
        let (repository, pull) = try repositoryAndPull(owner: owner, repo: repo, number: number)
        let sha = try await mergePull(
            repository, pull, MergeOrder(method: method, enforcesRules: false), by: login)
        await deliverPullRequestEvent("closed", repository: repository, number: number, sender: login)
        return sha
    }

    /// A person closes a pull request without merging; `pull_request` (`closed`, not merged) goes out.
    public func closePullRequest(owner: String, repo: String, number: Int, by login: String = "octocat") async throws {
        addUser(login)
        let (repository, pull) = try repositoryAndPull(owner: owner, repo: repo, number: number)
        guard pull.state == "open" else { throw GitHubAPIError.unprocessable("Validation Failed: already closed") }
        _ = editPull(repository, number, title: nil, body: nil, state: "closed")
        await deliverPullRequestEvent("closed", repository: repository, number: number, sender: login)
    }
}
