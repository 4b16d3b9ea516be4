import Foundation

/// What GitHub works out about a pull request before it shows the merge button: whether the head
/// merges cleanly, how big it is, and how its checks stand against the base branch's protection.
extension GitHubEmulator {
    /// How a check (a check run's name or a status's context) stands on a commit.
    enum CheckOutcome {
        case passing, pending, failing
    }

    struct PullCondition {
        var summary = DiffSummary()
        /// nil when GitHub would not say: the pull request is closed, or git could not tell.
        var mergeable: Bool?
        /// `clean`, `dirty`, `draft`, `blocked`, `unstable` or `unknown`.
        var mergeableState = "unknown"
        /// What branch protection answers a merge now, or nil when it allows one.
        var protectionRefusal: String?
    }

    /// The base and head a pull request's diff is read between: its branches, or the commits they
    /// were at when it stopped following them.
    func diffRefs(_ pull: EmulatedPull, _ repository: EmulatedRepository) async throws -> (base: String, head: String) {
        if let frozen = pull.frozen { return frozen }
        return ("refs/heads/\(pull.base)", try await headRef(pull, repository))
    }

    func condition(_ pull: EmulatedPull, _ repository: EmulatedRepository, headSHA: String) async -> PullCondition {
        var condition = PullCondition()
        guard let (base, head) = try? await diffRefs(pull, repository) else { return condition }
        condition.summary =
            (try? await git.diffSummary(owner: repository.owner, name: repository.name, base: base, head: head))
            ?? DiffSummary()
        guard pull.state == "open" else { return condition }
        do {
            let tree = try await git.mergeTree(owner: repository.owner, name: repository.name, base: base, head: head)
            condition.mergeable = tree != nil
        } catch {
            condition.mergeable = nil
        }
        let outcomes = checkOutcomes(repository, sha: headSHA)
        let required = requiredChecks(repository, branch: pull.base)
        condition.protectionRefusal = Self.protectionRefusal(required: required, outcomes: outcomes)
        let unstable = outcomes.contains { !required.contains($0.key) && $0.value != .passing }
        condition.mergeableState =
            switch (condition.mergeable, pull.draft, condition.protectionRefusal, unstable) {
            case (nil, _, _, _): "unknown"
            case (false, _, _, _): "dirty"
            case (_, true, _, _): "draft"
            case (_, _, .some, _): "blocked"
            case (_, _, _, true): "unstable"
            default: "clean"
            }
        return condition
    }

    /// The latest check run of each name and the latest status of each context on `sha`; a name
    /// both report passes when either passes.
    func checkOutcomes(_ repository: EmulatedRepository, sha: String) -> [String: CheckOutcome] {
        let (runs, statuses) = state.withLock { state in
            (state.latestCheckRuns(repository.id, sha: sha), state.latestStatuses(repository.id, sha: sha))
        }
        var outcomes: [String: CheckOutcome] = [:]
        func record(_ name: String, _ outcome: CheckOutcome) {
            switch (outcomes[name], outcome) {
            case (.passing, _), (_, .passing): outcomes[name] = .passing
            case (.failing, _), (_, .failing): outcomes[name] = .failing
            default: outcomes[name] = .pending
            }
        }
        for run in runs {
            guard run.status == "completed" else {
                record(run.name, .pending)
                continue
            }
            record(run.name, ["success", "neutral", "skipped"].contains(run.conclusion ?? "") ? .passing : .failing)
        }
        for status in statuses {
            let outcome: CheckOutcome =
                switch status.state {
                case "success": .passing
                case "pending": .pending
                default: .failing
                }
            record(status.context, outcome)
        }
        return outcomes
    }

    /// The checks a protected branch requires; none for a branch that is not protected.
    func requiredChecks(_ repository: EmulatedRepository, branch: String) -> [String] {
        state.withLock { state in
            guard state.protectedBranches[repository.id]?.contains(branch) == true else { return [] }
            return state.requiredChecks[repository.id]?[branch] ?? []
        }
    }

    /// GitHub's words for required checks that have not succeeded, as its merge API and protected
    /// branch pushes say them; nil when all have.
    static func protectionRefusal(required: [String], outcomes: [String: CheckOutcome]) -> String? {
        let unmet = required.filter { outcomes[$0] != .passing }
        let failing = unmet.filter { outcomes[$0] == .failing }
        switch (unmet.count, failing.count) {
        case (0, _): return nil
        case (1, 0): return "Required status check \"\(unmet[0])\" is expected."
        case (1, _): return "Required status check \"\(unmet[0])\" is failing."
        case (_, 0): return "\(unmet.count) of \(required.count) required status checks are expected."
        default:
            return "\(unmet.count) of \(required.count) required status checks have not succeeded: "
                + "\(failing.count) failing."
        }
    }
}

extension GitHubEmulatorState {
    /// The newest check run of each name on a commit, the one GitHub counts.
    func latestCheckRuns(_ repositoryID: Int, sha: String) -> [EmulatedCheckRun] {
        let runs = checkRuns.values.filter { $0.repositoryID == repositoryID && $0.headSHA == sha }
        return Dictionary(grouping: runs, by: \.name).values.compactMap { $0.max { $0.id < $1.id } }
            .sorted { $0.id < $1.id }
    }

    /// The newest status of each context on a commit, the one GitHub counts.
    func latestStatuses(_ repositoryID: Int, sha: String) -> [EmulatedCommitStatus] {
        let statuses = commitStatuses.values.filter { $0.repositoryID == repositoryID && $0.sha == sha }
        return Dictionary(grouping: statuses, by: \.context).values.compactMap { $0.max { $0.id < $1.id } }
            .sorted { $0.id < $1.id }
    }
}
