import Foundation
import Logging
import PostgresNIO

/// The queries the watchdog's sweeps make, and the record of what they did.
public struct WatchdogStore: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Records an action, only while `holder` holds the lease in the database too: a replica whose
    /// lease ran out without its knowing records nothing, and a sweep stops at the first refusal.
    public func record(
        holder: String, sweep: String, action: String, subject: String, detail: String = ""
    ) async throws -> Bool {
        try await !client.query(
            """
            INSERT INTO watchdog_actions (holder, sweep, action, subject, detail)
            SELECT \(holder), \(sweep), \(action), \(subject), \(detail)
            WHERE EXISTS (
                SELECT 1 FROM leader_leases WHERE name = 'watchdog' AND holder = \(holder) AND expires_at > now())
            RETURNING id
            """, logger: logger
        ).collect().isEmpty
    }

    /// Tasks with an attempt still unfinished `grace` after their deadline: nobody reported for them.
    func overdueTasks(grace: Duration, limit: Int) async throws -> [UUID] {
        try await client.query(
            """
            SELECT id FROM tasks
            WHERE status IN ('dispatching', 'running') AND deadline_at IS NOT NULL
                AND deadline_at < now() - \(PostgresJobQueue.interval(grace))::interval
                AND EXISTS (SELECT 1 FROM task_attempts WHERE task_id = tasks.id AND reply IS NULL)
            ORDER BY deadline_at LIMIT \(limit)
            """, logger: logger
        ).collect().map { try $0.decode(UUID.self) }
    }

    /// Running tasks whose latest attempt has been silent for `timeout`, before their deadline.
    func silentAttempts(timeout: Duration, limit: Int) async throws -> [(UUID, Int)] {
        try await client.query(
            """
            SELECT t.id, a.number FROM tasks AS t JOIN LATERAL (
                SELECT number, state, reply, last_heartbeat_at, started_at, created_at FROM task_attempts
                WHERE task_id = t.id ORDER BY number DESC LIMIT 1
            ) AS a ON true
            WHERE t.status = 'running' AND a.reply IS NULL AND a.state IN ('created', 'running')
                AND coalesce(a.last_heartbeat_at, a.started_at, a.created_at)
                    < now() - \(PostgresJobQueue.interval(timeout))::interval
                AND (t.deadline_at IS NULL OR t.deadline_at > now())
            ORDER BY t.id LIMIT \(limit)
            """, logger: logger
        ).collect().map { try $0.decode((UUID, Int).self) }
    }

    /// Unfinished tasks with no dispatch job, unchanged for `age`: nothing would ever move them.
    func strandedTasks(age: Duration, limit: Int) async throws -> [(UUID, TaskPriority)] {
        try await client.query(
            """
            SELECT id, priority FROM tasks
            WHERE (status = 'queued' OR (status = 'dispatching' AND NOT EXISTS (
                    SELECT 1 FROM task_attempts WHERE task_id = tasks.id AND state <> 'creating' AND reply IS NULL)))
                AND updated_at < now() - \(PostgresJobQueue.interval(age))::interval
                AND NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.task_id = tasks.id AND kind = 'dispatch')
            ORDER BY updated_at LIMIT \(limit)
            """, logger: logger
        ).collect().map { row in
            let (id, rank) = try row.decode((UUID, Int16).self)
            return (id, TaskPriority(rank: rank) ?? .normal)
        }
    }

    /// Whether a Machine tagged with `taskID` and `attempt` should still exist; the reason when not.
    func orphanReason(taskID: UUID, attempt: Int) async throws -> String? {
        guard
            let (status, latest, state) = try await client.query(
                """
                SELECT t.status, (SELECT max(number) FROM task_attempts WHERE task_id = t.id),
                    (SELECT state FROM task_attempts WHERE task_id = t.id AND number = \(attempt))
                FROM tasks AS t WHERE t.id = \(taskID)
                """, logger: logger
            ).collect().first?.decode((String, Int?, String?).self)
        else { return "no task knows it" }
        if TaskStatus(rawValue: status)?.isTerminal == true { return "its task is \(status)" }
        if let latest, latest > attempt { return "attempt \(latest) superseded it" }
        if let state, ["finished", "stopped", "lost"].contains(state) { return "its attempt is \(state)" }
        return nil
    }

    /// Marks how an attempt ended when its worker did not say.
    func markAttempt(_ taskID: UUID, _ number: Int, state: String, reason: String) async throws {
        try await client.query(
            """
            UPDATE task_attempts SET state = \(state), ended_reason = \(reason), finished_at = coalesce(finished_at, now())
            WHERE task_id = \(taskID) AND number = \(number)
            """, logger: logger)
    }

    /// Every Fly app a requester configured with their own token, and whose it is.
    func userFlyApps() async throws -> [(userID: Int64, app: String)] {
        try await client.query(
            """
            SELECT s.user_id, s.fly_app FROM user_settings AS s
            WHERE s.fly_app IS NOT NULL
                AND EXISTS (SELECT 1 FROM user_secrets WHERE user_id = s.user_id AND name = 'FLY_API_TOKEN')
            """, logger: logger
        ).collect().map { try $0.decode((Int64, String).self) }.map { ($0.0, $0.1) }
    }
}
