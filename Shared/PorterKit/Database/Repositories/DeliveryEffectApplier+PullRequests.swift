import Foundation
import Logging
import PostgresNIO

/// A delivery whose payload cannot be read for what its event needs; never recorded.
struct DeliveryRefused: Error, CustomStringConvertible {
    var reason: String
    var description: String { "delivery refused: \(reason)" }
}

extension DeliveryEffectApplier {
    /// Records where a pull request stands on the task that opened it, matched by the number Porter
    /// recorded when it opened it. GitHub does not promise the order of deliveries: an event older
    /// than the one recorded changes nothing, and a merge is final. The row lock taken by the update
    /// orders concurrent deliveries for one pull request, each re-checking the newest row. A closed or
    /// merged pull request also ends the follow-ups asked for on it, whoever opened it.
    func changePullRequest(_ change: PullRequestChange) async throws -> String {
        let recorded = try await recordPullRequest(change)
        guard change.state != .open, !recorded.stale else { return recorded.outcome }
        // Follow-ups are tasks on the pull request's number: the one cancellation path ends the
        // queued ones and asks running ones to stop, in this transaction.
        let outcome = try await TaskCancellation.request(
            .issue(repositoryID: change.repositoryID, number: change.number),
            reason: "the pull request was \(change.state == .merged ? "merged" : "closed")", on: connection,
            logger: logger)
        guard !outcome.cancelled.isEmpty || !outcome.stopping.isEmpty else { return recorded.outcome }
        // A pull request no task opened is not ignored when follow-ups on it ended.
        let what =
            recorded.outcome.hasPrefix("ignored: ") ? "pull request \(Self.describe(change))" : recorded.outcome
        return "\(what); follow-ups: \(outcome.cancelled.count) cancelled, \(outcome.stopping.count) stopping"
    }

    /// The outcome of recording `change`, and whether the task already records a newer event than it
    /// (so it says nothing about where the pull request stands now).
    private func recordPullRequest(_ change: PullRequestChange) async throws -> (outcome: String, stale: Bool) {
        let state = change.state.rawValue
        let updated = try await connection.query(
            """
            UPDATE tasks SET pull_request_state = \(state),
                pull_request_draft = coalesce(\(change.draft)::boolean, pull_request_draft),
                pull_request_closed_at = \(change.closedAt)::timestamptz,
                pull_request_merged_at = \(change.mergedAt)::timestamptz,
                pull_request_updated_at = greatest(pull_request_updated_at, \(change.updatedAt)::timestamptz)
            WHERE repository_id = \(change.repositoryID) AND pull_request_number = \(change.number)
                AND pull_request_state IS DISTINCT FROM 'merged'
                AND (\(state)::text = 'merged' OR pull_request_updated_at IS NULL
                    OR pull_request_updated_at <= \(change.updatedAt)::timestamptz)
            RETURNING id
            """, logger: logger
        ).collect().map { try $0.decode(UUID.self) }
        let what = Self.describe(change)
        for task in updated {
            try await PostgresTaskRepository.appendEvent(
                on: connection, taskID: task, kind: "pull_request", message: what, logger: logger)
        }
        guard updated.isEmpty else { return ("pull request \(what)", false) }
        let recorded = try await connection.query(
            """
            SELECT pull_request_state FROM tasks
            WHERE repository_id = \(change.repositoryID) AND pull_request_number = \(change.number)
            LIMIT 1
            """, logger: logger
        ).collect().first?.decode(String?.self)
        guard let recorded else { return ("ignored: pull request #\(change.number) was not opened by Porter", false) }
        if recorded == PullRequestState.merged.rawValue {
            return ("pull request #\(change.number): already merged, \(change.action) changes nothing", false)
        }
        return ("pull request #\(change.number): \(change.action) is older than what is recorded (\(recorded))", true)
    }

    /// `#12 merged`, `#12 closed without merging`, …: the outcome and the task's timeline entry.
    static func describe(_ change: PullRequestChange) -> String {
        let number = "#\(change.number)"
        switch (change.action, change.state) {
        case (_, .merged): return "\(number) merged"
        case ("closed", _): return "\(number) closed without merging"
        case ("reopened", _): return "\(number) reopened"
        case ("ready_for_review", _): return "\(number) marked ready for review"
        case ("converted_to_draft", _): return "\(number) converted to draft"
        default: return "\(number) \(change.action)"
        }
    }
}
