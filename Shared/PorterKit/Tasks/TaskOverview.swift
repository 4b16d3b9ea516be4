import Foundation
import Logging
import PostgresNIO

/// Everything the task page shows about one task: the task, its attempts, its timeline and the tail
/// of its (redacted) output.
public struct TaskOverview: Sendable {
    public struct Attempt: Sendable, Equatable, Encodable {
        public var number: Int
        public var runtime: String
        public var machineName: String
        public var machineID: String?
        public var flyApp: String?
        public var state: String
        public var outcome: String?
        public var createdAt: Date
        public var finishedAt: Date?
    }

    public var task: PorterTask
    public var issueTitle: String?
    public var phase: String?
    public var branch: String?
    public var pullRequestNumber: Int?
    public var pullRequestURL: String?
    public var startedAt: Date?
    public var attempts: [Attempt]
    /// The newest 200 events, oldest first.
    public var events: [TaskEvent]
    /// The last lines the worker reported, oldest first.
    public var logTail: [String]
    /// Whether no newer task exists on the issue: control verbs act on the issue's latest task.
    public var latestOnIssue: Bool
}

/// Reads task overviews; never writes.
public struct PostgresTaskOverviewStore: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public static let logLines = 200

    public func overview(id: UUID) async throws -> TaskOverview? {
        let rows = try await client.query(
            """
            SELECT \(unescaped: PostgresTaskRepository.columns), issue_title, progress_phase, branch,
                pull_request_number, pull_request_url, started_at,
                NOT EXISTS (SELECT 1 FROM tasks AS newer WHERE newer.repository_id = tasks.repository_id
                    AND newer.issue_number = tasks.issue_number AND newer.created_at > tasks.created_at)
            FROM tasks WHERE id = \(id)
            """, logger: logger
        ).collect()
        guard let row = rows.first else { return nil }
        let task = try PostgresTaskRepository.task(from: row)
        let columns = row.makeRandomAccess()
        let count = columns.count
        var overview = TaskOverview(
            task: task, issueTitle: try columns[count - 7].decode(String?.self),
            phase: try columns[count - 6].decode(String?.self), branch: try columns[count - 5].decode(String?.self),
            pullRequestNumber: try columns[count - 4].decode(Int?.self),
            pullRequestURL: try columns[count - 3].decode(String?.self),
            startedAt: try columns[count - 2].decode(Date?.self), attempts: [], events: [], logTail: [],
            latestOnIssue: try columns[count - 1].decode(Bool.self))
        overview.attempts = try await attempts(id)
        overview.events = try await events(id)
        overview.logTail = try await logTail(id)
        return overview
    }

    func attempts(_ id: UUID) async throws -> [TaskOverview.Attempt] {
        let rows = try await client.query(
            """
            SELECT number, runtime, machine_name, machine_id, fly_app, state, outcome, created_at, finished_at
            FROM task_attempts WHERE task_id = \(id) ORDER BY number
            """, logger: logger)
        var attempts: [TaskOverview.Attempt] = []
        for try await (number, runtime, name, machineID, app, state, outcome, created, finished) in rows.decode(
            (Int, String, String, String?, String?, String, String?, Date, Date?).self)
        {
            attempts.append(
                .init(
                    number: number, runtime: runtime, machineName: name, machineID: machineID, flyApp: app,
                    state: state, outcome: outcome, createdAt: created, finishedAt: finished))
        }
        return attempts
    }

    func events(_ id: UUID) async throws -> [TaskEvent] {
        let rows = try await client.query(
            """
            SELECT id, attempt, kind, message, created_at FROM (
                SELECT id, attempt, kind, message, created_at FROM task_events WHERE task_id = \(id)
                ORDER BY id DESC LIMIT 200) AS newest
            ORDER BY id
            """, logger: logger)
        var events: [TaskEvent] = []
        for try await (eventID, attempt, kind, message, createdAt) in rows.decode(
            (Int64, Int?, String, String, Date).self)
        {
            events.append(
                TaskEvent(id: eventID, taskID: id, attempt: attempt, kind: kind, message: message, createdAt: createdAt)
            )
        }
        return events
    }

    /// Lines of the latest progress reports, already redacted when they were stored.
    func logTail(_ id: UUID) async throws -> [String] {
        let rows = try await client.query(
            """
            SELECT line FROM (
                SELECT e.id, l.ordinality, l.line FROM (
                    SELECT id, data FROM task_events WHERE task_id = \(id) AND kind = 'progress'
                    ORDER BY id DESC LIMIT 50) AS e,
                    jsonb_array_elements_text(coalesce(e.data -> 'lines', '[]')) WITH ORDINALITY AS l(line, ordinality)
                ORDER BY e.id DESC, l.ordinality DESC LIMIT \(Self.logLines)) AS tail
            ORDER BY id, ordinality
            """, logger: logger)
        var lines: [String] = []
        for try await line in rows.decode(String.self) { lines.append(line) }
        return lines
    }
}
