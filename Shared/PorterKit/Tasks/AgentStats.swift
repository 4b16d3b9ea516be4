import Foundation
import Logging
import PostgresNIO

/// The period agent statistics cover: the tasks created in the last 7, 30 or 90 days, or all of them.
public enum AgentStatsWindow: String, Sendable, CaseIterable {
    case week = "7d"
    case month = "30d"
    case quarter = "90d"
    case all

    /// The earliest creation time the window takes in, counted back from `now`; nil for all time.
    public func start(before now: Date) -> Date? {
        let days: Double
        switch self {
        case .week: days = 7
        case .month: days = 30
        case .quarter: days = 90
        case .all: return nil
        }
        return now.addingTimeInterval(-days * 86_400)
    }
}

/// How one agent with one model did over a window: one line of a dashboard's table.
public struct AgentStats: Sendable, Equatable, Encodable {
    public var agent: String
    /// Nil for the tasks that named no model (the agent's default).
    public var model: String?
    /// Every task, whatever its state, finished or not.
    public var runs: Int
    public var succeeded: Int
    /// Failed or timed out.
    public var failed: Int
    public var cancelled: Int
    /// Tasks that reached an end: succeeded, failed, timed out or cancelled.
    public var finished: Int
    /// `succeeded / finished`, from 0 to 1; nil while none finished.
    public var successRate: Double?
    /// Of finished tasks, from start (or creation, for one that never started) to finish.
    public var medianDurationSeconds: Double?
    public var p90DurationSeconds: Double?
    /// Tasks that opened a pull request, and those whose pull request was merged.
    public var pullRequestsOpened: Int
    public var pullRequestsMerged: Int
    /// Tasks whose pull request a reviewer closed from Porter's review page: the agent's work rejected.
    public var pullRequestsRejected: Int

    public init(
        agent: String, model: String?, runs: Int, succeeded: Int, failed: Int, cancelled: Int, finished: Int,
        successRate: Double?, medianDurationSeconds: Double?, p90DurationSeconds: Double?, pullRequestsOpened: Int,
        pullRequestsMerged: Int, pullRequestsRejected: Int = 0
    ) {
        self.agent = agent
        self.model = model
        self.runs = runs
        self.succeeded = succeeded
        self.failed = failed
        self.cancelled = cancelled
        self.finished = finished
        self.successRate = successRate
        self.medianDurationSeconds = medianDurationSeconds
        self.p90DurationSeconds = p90DurationSeconds
        self.pullRequestsOpened = pullRequestsOpened
        self.pullRequestsMerged = pullRequestsMerged
        self.pullRequestsRejected = pullRequestsRejected
    }
}

/// Per agent and model figures over the tasks a person may see: the same visibility rule as the task
/// lists (`PostgresTaskListStore.Conditions`), so a figure never counts a task its lists would hide.
public struct PostgresAgentStatsStore: Sendable {
    let client: PostgresClient
    let logger: Logger
    let figures: TaskFigures?

    /// - Parameter figures: where tables are kept between requests; nil reads them every time.
    public init(client: PostgresClient, logger: Logger, figures: TaskFigures? = nil) {
        self.client = client
        self.logger = logger
        self.figures = figures
    }

    /// One line per agent and model with a task created in `window` before `now` that the person with
    /// `userID` asked for or can reach through `repositories`; the most used first.
    public func stats(
        userID: Int64, repositories: [Int64], window: AgentStatsWindow, now: Date = Date()
    ) async throws -> [AgentStats] {
        guard let figures else {
            return try await read(userID: userID, repositories: repositories, window: window, now: now)
        }
        // The window's name, not its start: the start moves with the clock, which the cache's quiet
        // period bounds.
        let scope = TaskFigures.Scope(
            userID: userID, repositories: repositories, filter: TaskFilter(), detail: window.rawValue)
        return try await figures.agentLines.value(for: scope) {
            if let table = try await figures.table.snapshot() {
                return table.agentLines(userID: userID, repositories: repositories, since: window.start(before: now))
            }
            return try await read(userID: userID, repositories: repositories, window: window, now: now)
        }
    }

    private func read(
        userID: Int64, repositories: [Int64], window: AgentStatsWindow, now: Date
    ) async throws -> [AgentStats] {
        var filter = TaskFilter()
        filter.from = window.start(before: now)
        let sql = try PostgresTaskListStore.Conditions(userID: userID, repositories: repositories, filter: filter)
        // Counted per agent, model and outcome (migration 21: NULL until a task ends, then 1 succeeded,
        // 2 failed, 3 timed out, 4 cancelled), each visibility half grouped by hashing on its own, so no
        // task's status text is compared and no sort of every visible task by agent and model (which
        // the ordered-set aggregate would need in the grouping itself) is made. Each group gathers its
        // durations; a line's percentiles are taken over those of its ended groups, nulls left out.
        let columns = """
            agent, model, outcome, count(*) AS runs, array_agg(duration_seconds) AS durations,
            count(pull_request_number) AS opened, count(*) FILTER (WHERE pull_request_state = 'merged') AS merged
            """
        let query = PostgresQuery(
            unsafeSQL: """
                WITH groups AS (\(sql.visibleRows(columns, groupedBy: "agent, model, outcome")))
                SELECT line.agent, line.model, sum(runs)::bigint,
                    coalesce(sum(runs) FILTER (WHERE outcome = 1), 0)::bigint,
                    coalesce(sum(runs) FILTER (WHERE outcome IN (2, 3)), 0)::bigint,
                    coalesce(sum(runs) FILTER (WHERE outcome = 4), 0)::bigint,
                    coalesce(sum(runs) FILTER (WHERE outcome IS NOT NULL), 0)::bigint,
                    (SELECT percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY d)
                        FROM groups AS ended, unnest(ended.durations) AS d
                        WHERE ended.outcome IS NOT NULL AND ended.agent = line.agent
                            AND ended.model IS NOT DISTINCT FROM line.model),
                    sum(opened)::bigint, sum(merged)::bigint
                FROM groups AS line
                GROUP BY line.agent, line.model
                ORDER BY 3 DESC, line.agent, line.model NULLS FIRST
                """, binds: sql.binds)
        var lines: [AgentStats] = []
        for try await row in try await client.query(query, logger: logger) {
            let (agent, model, runs, succeeded, failed, cancelled, finished) = try row.decode(
                (String, String?, Int64, Int64, Int64, Int64, Int64).self)
            let columns = row.makeRandomAccess()
            let percentiles = try columns[7].decode([Double]?.self)
            lines.append(
                AgentStats(
                    agent: agent, model: model, runs: Int(runs), succeeded: Int(succeeded), failed: Int(failed),
                    cancelled: Int(cancelled), finished: Int(finished),
                    successRate: finished == 0 ? nil : Double(succeeded) / Double(finished),
                    medianDurationSeconds: percentiles?.first, p90DurationSeconds: percentiles?.last,
                    pullRequestsOpened: Int(try columns[8].decode(Int64.self)),
                    pullRequestsMerged: Int(try columns[9].decode(Int64.self))))
        }
        let rejected = try await rejections(userID: userID, repositories: repositories, since: filter.from)
        for index in lines.indices {
            lines[index].pullRequestsRejected = rejected[Key(agent: lines[index].agent, model: lines[index].model)] ?? 0
        }
        return lines
    }

    struct Key: Hashable {
        var agent: String
        var model: String?
    }

    /// Rejections are few: read apart, through their own partial index, so the figures above keep
    /// reading their covering indexes alone. The same visibility rule as the task lists.
    private func rejections(userID: Int64, repositories: [Int64], since: Date?) async throws -> [Key: Int] {
        var counts: [Key: Int] = [:]
        let rows = try await client.query(
            """
            SELECT agent, model, count(*) FROM tasks
            WHERE rejected_at IS NOT NULL AND (\(since)::timestamptz IS NULL OR created_at >= \(since))
                AND (repository_id = ANY(\(repositories)) OR requester_id = \(userID))
            GROUP BY agent, model
            """, logger: logger)
        for try await (agent, model, count) in rows.decode((String, String?, Int64).self) {
            counts[Key(agent: agent, model: model)] = Int(count)
        }
        return counts
    }
}
