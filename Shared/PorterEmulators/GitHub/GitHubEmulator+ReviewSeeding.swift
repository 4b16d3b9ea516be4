import Foundation

/// What tests set up around reviewing and merging: a repository's merge settings, and the checks
/// and statuses CI reports on commits.
extension GitHubEmulator {
    static let checkStatuses: Set = ["queued", "in_progress", "completed", "waiting", "requested", "pending"]
    static let checkConclusions: Set = [
        "action_required", "cancelled", "failure", "neutral", "success", "skipped", "stale", "timed_out",
    ]
    static let commitStates: Set = ["error", "failure", "pending", "success"]

    /// Changes the merge methods a repository allows and whether merging deletes the head branch;
    /// nil leaves a setting as it is.
    public func setMergeSettings(
        owner: String, repo: String, allowMergeCommit: Bool? = nil, allowSquashMerge: Bool? = nil,
        allowRebaseMerge: Bool? = nil, deleteBranchOnMerge: Bool? = nil
    ) throws {
        try state.withLock { state throws(GitHubAPIError) in
            guard let id = state.repository(owner: owner, name: repo)?.id else { throw .notFound }
            if let allowMergeCommit { state.repositories[id]?.allowMergeCommit = allowMergeCommit }
            if let allowSquashMerge { state.repositories[id]?.allowSquashMerge = allowSquashMerge }
            if let allowRebaseMerge { state.repositories[id]?.allowRebaseMerge = allowRebaseMerge }
            if let deleteBranchOnMerge { state.repositories[id]?.deleteBranchOnMerge = deleteBranchOnMerge }
        }
    }

    /// A CI App reports a check run on a commit (`sha` may also name a branch) and returns its id.
    /// As on GitHub, a conclusion makes the run `completed`, and a completed run needs one.
    @discardableResult
    public func addCheckRun(
        owner: String, repo: String, sha: String, name: String, status: String = "completed",
        conclusion: String? = "success", detailsURL: String? = nil, appSlug: String = "github-actions",
        appName: String = "GitHub Actions"
    ) async throws -> Int {
        let status = conclusion == nil ? status : "completed"
        guard Self.checkStatuses.contains(status), conclusion.map(Self.checkConclusions.contains) ?? true,
            status != "completed" || conclusion != nil
        else {
            throw GitHubAPIError.unprocessable(
                "Validation Failed: status \(status), conclusion \(conclusion ?? "none")")
        }
        let (repository, commit) = try await commit(owner: owner, repo: repo, named: sha)
        return state.withLock { state in
            let id = state.newID()
            let now = Date()
            let suite =
                state.checkRuns.values.first {
                    $0.repositoryID == repository.id && $0.headSHA == commit && $0.appSlug == appSlug
                }?.checkSuiteID ?? state.newID()
            state.checkRuns[id] = EmulatedCheckRun(
                id: id, repositoryID: repository.id, headSHA: commit, name: name, status: status,
                conclusion: conclusion, detailsURL: detailsURL, startedAt: now,
                completedAt: status == "completed" ? now : nil, appSlug: appSlug, appName: appName,
                checkSuiteID: suite)
            return id
        }
    }

    /// Someone sets a commit status for `context` on a commit (`sha` may also name a branch) and
    /// returns its id; the newest status of a context is the one that counts.
    @discardableResult
    public func setCommitStatus(
        owner: String, repo: String, sha: String, context: String = "default", state commitState: String,
        description: String? = nil, targetURL: String? = nil, creator: String = "octocat"
    ) async throws -> Int {
        guard Self.commitStates.contains(commitState) else {
            throw GitHubAPIError.unprocessable("Validation Failed: state must be error, failure, pending or success")
        }
        addUser(creator)
        let (repository, commit) = try await commit(owner: owner, repo: repo, named: sha)
        return state.withLock { state in
            let id = state.newID()
            let now = Date()
            state.commitStatuses[id] = EmulatedCommitStatus(
                id: id, repositoryID: repository.id, sha: commit, context: context, state: commitState,
                description: description, targetURL: targetURL, creator: creator, createdAt: now, updatedAt: now)
            return id
        }
    }

    /// The repository and the full commit id `ref` names: a branch or a commit; 422 when neither.
    func commit(owner: String, repo: String, named ref: String) async throws -> (EmulatedRepository, String) {
        guard let repository = state.withLock({ $0.repository(owner: owner, name: repo) }) else {
            throw GitHubAPIError.notFound
        }
        guard let sha = await git.resolveCommit(owner: repository.owner, name: repository.name, ref: ref) else {
            throw GitHubAPIError.unprocessable("No commit found for SHA: \(ref)")
        }
        return (repository, sha)
    }
}
