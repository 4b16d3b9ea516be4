import Foundation
import PorterKit

/// Where a pull request stands for a reviewer, from what GitHub says of it now: its checks, its
/// reviews and whether it merges. Read with the person's own token.
struct ReviewSignals: Sendable {
    enum Checks: String, Sendable {
        case passing, failing, pending, none
    }

    enum Verdict: String, Sendable {
        case approved
        case changesRequested = "changes_requested"
        case none
    }

    /// Ready to merge first, then what waits on checks, then drafts, then what needs work.
    enum Readiness: Int, Sendable, Comparable {
        case ready = 0, checksRunning, draft, needsWork

        static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    var pull: GitHubPullRequest
    var checks: Checks
    var verdict: Verdict
    /// The head's check runs and commit statuses the checks were read from: the pull request's page
    /// lists them without asking GitHub again.
    var runs: [GitHubCheckRun] = []
    var statuses: [GitHubCombinedStatus.Status] = []

    /// One check run or commit status on the head, as the page and the JSON both list them.
    struct HeadCheck: Sendable {
        var name: String
        /// `check_run` or `status`.
        var kind: String
        /// A finished run's conclusion, else its status; a commit status's state.
        var state: String
        var url: String?
        /// The app that ran it, or the status's description.
        var detail: String?
    }

    var headChecks: [HeadCheck] {
        runs.map { run in
            HeadCheck(
                name: run.name, kind: "check_run",
                state: run.status == "completed" ? run.conclusion ?? "completed" : run.status,
                url: run.htmlUrl ?? run.detailsUrl, detail: run.app?.name)
        }
            + statuses.map {
                HeadCheck(name: $0.context, kind: "status", state: $0.state, url: $0.targetUrl, detail: $0.description)
            }
    }

    var conflicts: Bool { pull.mergeable == false || pull.mergeableState == "dirty" }
    var blocked: Bool { pull.mergeableState == "blocked" }

    var readiness: Readiness {
        if pull.draft == true { return .draft }
        if conflicts || blocked || checks == .failing || verdict == .changesRequested { return .needsWork }
        if checks == .pending { return .checksRunning }
        return .ready
    }

    /// What the queue says of it, most pressing reason first.
    var label: String {
        if pull.draft == true { return "Draft" }
        if conflicts { return "Conflicts" }
        if checks == .failing { return "Checks failing" }
        if verdict == .changesRequested { return "Changes requested" }
        if blocked { return "Blocked by branch protection" }
        if checks == .pending { return "Checks running" }
        return "Ready to merge"
    }

    var style: String {
        switch readiness {
        case .ready: "ok"
        case .checksRunning, .draft: "warn"
        case .needsWork: "bad"
        }
    }

    /// Check runs and commit statuses together: failing when any failed, running while any has not
    /// finished, passing when all passed, none when there are none.
    static func checks(_ runs: [GitHubCheckRun], _ combined: GitHubCombinedStatus) -> Checks {
        let failed = ["failure", "cancelled", "timed_out", "action_required", "startup_failure", "stale"]
        let runFailed = runs.contains { $0.status == "completed" && failed.contains($0.conclusion ?? "") }
        let statusFailed = combined.statuses.contains { $0.state == "failure" || $0.state == "error" }
        if runFailed || statusFailed { return .failing }
        if runs.contains(where: { $0.status != "completed" })
            || combined.statuses.contains(where: { $0.state == "pending" })
        {
            return .pending
        }
        return runs.isEmpty && combined.statuses.isEmpty ? .none : .passing
    }

    /// Each reviewer's latest approval or change request counts; any change request wins.
    static func verdict(_ reviews: [GitHubReview]) -> Verdict {
        var latest: [String: String] = [:]
        for review in reviews where ["APPROVED", "CHANGES_REQUESTED", "DISMISSED"].contains(review.state) {
            latest[review.user?.login ?? "ghost"] = review.state
        }
        if latest.values.contains("CHANGES_REQUESTED") { return .changesRequested }
        return latest.values.contains("APPROVED") ? .approved : .none
    }

    /// Reads the pull request, its head's checks and its reviews as the person.
    static func read(
        _ github: GitHubClient, token: String, owner: String, repo: String, number: Int
    ) async throws -> ReviewSignals {
        let credential = GitHubClient.Credential.user(token: token)
        let pull = try await github.pullRequest(as: credential, owner: owner, repo: repo, number: number)
        async let runs = github.checkRuns(as: credential, owner: owner, repo: repo, ref: pull.head.sha)
        async let combined = github.combinedStatus(as: credential, owner: owner, repo: repo, ref: pull.head.sha)
        async let reviews = github.pullRequestReviews(as: credential, owner: owner, repo: repo, number: number)
        let (headRuns, headStatus) = (try await runs, try await combined)
        return ReviewSignals(
            pull: pull, checks: checks(headRuns, headStatus), verdict: verdict(try await reviews), runs: headRuns,
            statuses: headStatus.statuses)
    }
}

/// The signals the queue read lately, per person and pull request, for `lifetime`: a queue reloaded
/// in a row asks GitHub once.
actor ReviewSignalsCache {
    let lifetime: Duration
    private var entries: [String: (signals: ReviewSignals, read: ContinuousClock.Instant)] = [:]

    init(lifetime: Duration = .seconds(30)) { self.lifetime = lifetime }

    func signals(userID: Int64, task: UUID) -> ReviewSignals? {
        guard let entry = entries["\(userID)/\(task)"], ContinuousClock.now - entry.read < lifetime else { return nil }
        return entry.signals
    }

    func keep(_ signals: ReviewSignals, userID: Int64, task: UUID) {
        entries["\(userID)/\(task)"] = (signals, .now)
        if entries.count > 20_000 { entries = entries.filter { ContinuousClock.now - $0.value.read < lifetime } }
    }

    /// After an action on it: the next read asks GitHub.
    func forget(userID: Int64, task: UUID) { entries["\(userID)/\(task)"] = nil }
}
