import Foundation
import Logging
import NIOCore
import PostgresNIO

public struct PostgresCallbackRepository: CallbackRepository {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public func attempt(taskID: UUID, number: Int?) async throws -> CallbackAttempt? {
        guard let task = try await PostgresTaskRepository(client: client, logger: logger).find(id: taskID) else {
            return nil
        }
        let row = try await client.query(
            """
            SELECT a.number, a.number = (SELECT max(number) FROM task_attempts WHERE task_id = a.task_id),
                a.runtime, a.machine_id, a.fly_app, a.token_hash, a.token_expires_at, a.reply::text,
                t.prompt, t.branch, t.base_branch, t.deadline_at, t.key_source, coalesce(t.issue_title, ''),
                t.cancel_requested_at IS NOT NULL
            FROM task_attempts AS a JOIN tasks AS t ON t.id = a.task_id
            WHERE a.task_id = \(taskID) AND (\(number)::integer IS NULL OR a.number = \(number))
            ORDER BY a.number DESC LIMIT 1
            """, logger: logger
        ).collect().first
        guard let row else { return nil }
        let (attemptNumber, isLatest, runtime, machineID, flyApp, tokenHash, expiresAt, reply) = try row.decode(
            (Int, Bool, String, String?, String?, ByteBuffer?, Date?, String?).self)
        let columns = row.makeRandomAccess()
        var spec: TaskSpec?
        if let prompt = try columns[8].decode(String?.self), let branch = try columns[9].decode(String?.self),
            let base = try columns[10].decode(String?.self), let deadline = try columns[11].decode(Date?.self),
            let keySource = try columns[12].decode(String?.self)
        {
            spec = TaskSpec(
                prompt: prompt, branch: branch, baseBranch: base, deadline: deadline, keySource: keySource,
                issueTitle: try columns[13].decode(String.self))
        }
        return CallbackAttempt(
            task: task, number: attemptNumber, isLatest: isLatest, runtime: runtime, machineID: machineID,
            flyApp: flyApp, tokenHash: tokenHash.map { Array(buffer: $0) }, tokenExpiresAt: expiresAt, spec: spec,
            cancelRequested: try columns[14].decode(Bool.self), reply: reply)
    }

    public func heartbeat(_ attempt: CallbackAttempt) async throws {
        try await client.query(
            """
            UPDATE task_attempts SET last_heartbeat_at = now(),
                state = CASE WHEN state IN ('creating', 'created') THEN 'running' ELSE state END
            WHERE task_id = \(attempt.task.id) AND number = \(attempt.number)
            """, logger: logger)
    }

    public func recordProgress(
        _ attempt: CallbackAttempt, _ progress: ProgressReport, spacing: Duration, notices: [TaskNotice]
    ) async throws {
        let data = try JSONSerialization.data(withJSONObject: ["phase": progress.phase, "lines": progress.lines])
        let dataText = String(decoding: data, as: UTF8.self)
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query(
                """
                INSERT INTO task_events (task_id, attempt, kind, message, data)
                VALUES (\(attempt.task.id), \(attempt.number), 'progress', \(progress.message), \(dataText)::jsonb)
                """, logger: logger)
            guard !notices.isEmpty else { return }
            let due = try await connection.query(
                """
                UPDATE tasks SET progress_noted_at = now(), progress_phase = \(progress.phase)
                WHERE id = \(attempt.task.id) AND status = 'running'
                    AND progress_phase IS DISTINCT FROM \(progress.phase)
                    AND (progress_noted_at IS NULL
                        OR progress_noted_at < now() - \(PostgresJobQueue.interval(spacing))::interval)
                RETURNING id
                """, logger: logger
            ).collect()
            if !due.isEmpty {
                try await PostgresSideEffectQueue.enqueue(notices, for: attempt.task, on: connection, logger: logger)
            }
        }
    }

    public func complete(
        _ attempt: CallbackAttempt, report: CompletionReport,
        decide: @Sendable (PorterTask) -> Finalization
    ) async throws -> (reply: String, first: Bool) {
        let taskID = attempt.task.id
        return try await client.withTransaction(logger: logger) { connection in
            // The attempt row's lock makes concurrent copies of the report wait for the first one.
            let stored = try await connection.query(
                """
                SELECT reply::text FROM task_attempts WHERE task_id = \(taskID) AND number = \(attempt.number)
                FOR UPDATE
                """, logger: logger
            ).collect().first
            if let reply = try stored?.decode(String?.self) { return (reply, false) }
            guard
                let row = try await connection.query(
                    "SELECT \(unescaped: PostgresTaskRepository.columns) FROM tasks WHERE id = \(taskID) FOR UPDATE",
                    logger: logger
                ).collect().first
            else { throw RepositoryError.missingRow("task \(taskID)") }
            let task = try PostgresTaskRepository.task(from: row)
            let decision = decide(task)
            if let status = decision.status {
                // A task whose claim went back to the queue after its worker started moves on from there.
                if task.status == .queued {
                    try await connection.query(
                        "UPDATE tasks SET status = 'dispatching' WHERE id = \(taskID)", logger: logger)
                }
                try await connection.query(
                    """
                    UPDATE tasks SET status = \(status.rawValue), status_reason = \(decision.reason),
                        branch = coalesce(\(report.branch), branch), head_sha = coalesce(\(report.headSHA), head_sha)
                    WHERE id = \(taskID)
                    """, logger: logger)
            } else {
                try await connection.query(
                    """
                    UPDATE tasks SET branch = coalesce(\(report.branch), branch),
                        head_sha = coalesce(\(report.headSHA), head_sha)
                    WHERE id = \(taskID)
                    """, logger: logger)
            }
            let replyJSON = String(decoding: try JSONEncoder.callback.encode(decision.reply), as: UTF8.self)
            let reply = try await connection.query(
                """
                UPDATE task_attempts SET state = 'finished', finished_at = now(),
                    outcome = \((decision.status ?? task.status).rawValue), reported_status = \(report.outcome.rawValue),
                    head_sha = \(report.headSHA), summary = \(decision.summary), reply = \(replyJSON)::jsonb
                WHERE task_id = \(taskID) AND number = \(attempt.number)
                RETURNING reply::text
                """, logger: logger
            ).collect().first?.decode(String.self)
            guard let reply else { throw RepositoryError.missingRow("attempt \(attempt.number) of task \(taskID)") }
            try await PostgresTaskRepository.appendEvent(
                on: connection, taskID: taskID, attempt: attempt.number, kind: "completion",
                message: "\(report.outcome.rawValue): \(decision.reason)", logger: logger)
            try await PostgresSideEffectQueue.enqueue(decision.notices, for: task, on: connection, logger: logger)
            // A slot or the issue just freed up: tasks waiting for one look again now, not at their next poll.
            if decision.status != nil {
                try await connection.query(
                    """
                    UPDATE jobs SET run_after = now()
                    WHERE kind = 'dispatch' AND run_after > now() AND lease_owner IS NULL AND task_id IN (
                        SELECT id FROM tasks WHERE status = 'queued' AND (requester_id = \(task.requester.id)
                            OR (repository_id = \(task.issue.repositoryID) AND issue_number = \(task.issue.number))))
                    """, logger: logger)
                try await connection.query(
                    "SELECT pg_notify(\(PostgresWebhookDeliveryStore.jobsChannel), 'finished')", logger: logger)
            }
            return (reply, true)
        }
    }
}

extension JSONEncoder {
    /// snake_case keys, ISO 8601 dates: what workers and the original payloads speak.
    static var callback: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
