import Foundation
import PostgresNIO

/// Figures for a filtered set of tasks, as the history's stat cards show them.
public struct TaskStats: Sendable, Equatable, Encodable {
    /// Every task in the set.
    public var tasks: Int
    /// Tasks in a terminal state: succeeded, failed, timed out or cancelled.
    public var finished: Int
    public var succeeded: Int
    /// `succeeded / finished`, nil while nothing has finished.
    public var successRate: Double?
    /// Of finished tasks, from `started_at` (or `created_at` for one that never started) to `finished_at`.
    public var medianDurationSeconds: Double?
    public var p90DurationSeconds: Double?
    /// Tasks that opened a pull request.
    public var pullRequestsOpened: Int

    public init(
        tasks: Int, finished: Int, succeeded: Int, medianDurationSeconds: Double?, p90DurationSeconds: Double?,
        pullRequestsOpened: Int
    ) {
        self.tasks = tasks
        self.finished = finished
        self.succeeded = succeeded
        self.successRate = finished > 0 ? Double(succeeded) / Double(finished) : nil
        self.medianDurationSeconds = medianDurationSeconds
        self.p90DurationSeconds = p90DurationSeconds
        self.pullRequestsOpened = pullRequestsOpened
    }
}

extension PostgresTaskListStore {
    /// The stat cards' figures for the visible tasks matching `filter`, in one pass over the same
    /// conditions the list pages through, so the cards and the list can never disagree. Durations
    /// (`duration_seconds`) are from start, or creation for a task that never started, to finish.
    public func stats(userID: Int64, repositories: [Int64], filter: TaskFilter) async throws -> TaskStats {
        guard let figures else {
            return try await readStats(userID: userID, repositories: repositories, filter: filter)
        }
        // Kept while no task changes, however they were counted: a kept answer costs no pass at all.
        let scope = TaskFigures.Scope(userID: userID, repositories: repositories, filter: filter)
        return try await figures.stats.value(for: scope) {
            if let counted = try await counted(userID: userID, repositories: repositories, filter: filter) {
                return counted
            }
            return try await readStats(userID: userID, repositories: repositories, filter: filter)
        }
    }

    /// Whether figures are kept (this process's change feed is set up): only then can `keptStats` know any.
    public var keepsFigures: Bool { figures != nil }

    /// The stat cards for `filter` if they are kept and ready, or can be counted from the figure table
    /// now, else nil at once: a page can show what is known and ask for the rest (`stats`) afterwards.
    public func keptStats(userID: Int64, repositories: [Int64], filter: TaskFilter) async throws -> TaskStats? {
        guard let figures else { return nil }
        let scope = TaskFigures.Scope(userID: userID, repositories: repositories, filter: filter)
        if let kept = try await figures.stats.kept(for: scope) { return kept }
        guard TaskFigureTable.Table.counts(filter), figures.table.isCurrent else { return nil }
        return try await stats(userID: userID, repositories: repositories, filter: filter)
    }

    /// The cards counted from the figure table, when it is current and the filter is one it counts.
    private func counted(userID: Int64, repositories: [Int64], filter: TaskFilter) async throws -> TaskStats? {
        guard let figures, TaskFigureTable.Table.counts(filter), let table = try await figures.table.snapshot() else {
            return nil
        }
        return table.stats(userID: userID, repositories: repositories, filter: filter)
    }

    private func readStats(userID: Int64, repositories: [Int64], filter: TaskFilter) async throws -> TaskStats {
        let sql = try Conditions(userID: userID, repositories: repositories, filter: filter)
        // `outcome` (migration 21) is NULL exactly while a task has not ended, and 1 when it succeeded:
        // the same sets as testing the status, without comparing text for every task. Unfiltered, or
        // filtered by dates alone, the halves walk the narrow stats indexes.
        let query = PostgresQuery(
            unsafeSQL: """
                SELECT count(*)::bigint, count(outcome)::bigint, count(*) FILTER (WHERE outcome = 1)::bigint,
                    percentile_cont(ARRAY[0.5, 0.9]::float8[]) WITHIN GROUP (ORDER BY duration_seconds)
                        FILTER (WHERE outcome IS NOT NULL),
                    count(pull_request_number)::bigint
                FROM (\(sql.visibleRows("outcome, duration_seconds, pull_request_number"))) AS visible
                """, binds: sql.binds)
        for try await (total, finished, succeeded, percentiles, pullRequests) in try await client.query(
            query, logger: logger
        ).decode((Int64, Int64, Int64, [Double]?, Int64).self) {
            return TaskStats(
                tasks: Int(total), finished: Int(finished), succeeded: Int(succeeded),
                medianDurationSeconds: percentiles?.first, p90DurationSeconds: percentiles?.last,
                pullRequestsOpened: Int(pullRequests))
        }
        return TaskStats(
            tasks: 0, finished: 0, succeeded: 0, medianDurationSeconds: nil, p90DurationSeconds: nil,
            pullRequestsOpened: 0)
    }
}
