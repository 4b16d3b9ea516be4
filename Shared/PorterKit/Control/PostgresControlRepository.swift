import Foundation
import Logging
import PostgresNIO

public struct PostgresControlRepository: ControlRepository {
    /// The first key of the two-key advisory locks that serialise retries per issue.
    static let issueLockSpace: Int32 = 0x5049  // "PI"

    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public func issueTasks(repositoryID: Int64, number: Int) async throws -> [IssueTask] {
        let rows = try await client.query(
            """
            SELECT \(unescaped: PostgresTaskRepository.columns),
                (SELECT count(*) FROM task_attempts WHERE task_id = tasks.id)::integer AS attempt_count,
                pull_request_number, pull_request_url, cancel_requested_at IS NOT NULL AS cancel_requested
            FROM tasks
            WHERE repository_id = \(repositoryID) AND (issue_number = \(number) OR pull_request_number = \(number))
            ORDER BY created_at DESC, id
            LIMIT 50
            """, logger: logger
        ).collect()
        return try rows.map { row in
            let columns = row.makeRandomAccess()
            return IssueTask(
                task: try PostgresTaskRepository.task(from: row),
                attempts: try columns["attempt_count"].decode(Int.self),
                pullRequestNumber: try columns["pull_request_number"].decode(Int?.self),
                pullRequestURL: try columns["pull_request_url"].decode(String?.self),
                cancelRequested: try columns["cancel_requested"].decode(Bool.self))
        }
    }

    public func stop(
        _ ids: [UUID], reason: String, installationID: Int64, notices: [TaskNotice]
    ) async throws -> TaskCancellation.Outcome {
        try await client.withTransaction(logger: logger) { connection in
            let outcome = try await TaskCancellation.request(
                .tasks(ids), reason: reason, on: connection, logger: logger)
            try await PostgresSideEffectQueue.enqueue(
                notices, installationID: installationID, taskID: nil, on: connection, logger: logger)
            return outcome
        }
    }

    public func retry(
        _ latest: PorterTask, requester: Requester, commentID: Int64?, deliveryID: String,
        notices: @Sendable (UUID) -> [TaskNotice]
    ) async throws -> RetryResult {
        try await client.withTransaction(logger: logger) { connection in
            // Two retries of one issue at once: the second sees the first's task and says so.
            let issueKey = Int32(truncatingIfNeeded: (latest.issue.repositoryID &* 31 &+ Int64(latest.issue.number)))
            try await connection.query(
                "SELECT pg_advisory_xact_lock(\(Self.issueLockSpace), \(issueKey))", logger: logger)
            // The same delivery, run again after a crash, finds the task it created.
            if let existing = try await connection.query(
                "SELECT id FROM tasks WHERE delivery_id = \(deliveryID)", logger: logger
            ).collect().first?.decode(UUID.self) {
                return .created(existing)
            }
            if let (id, status) = try await connection.query(
                """
                SELECT id, status FROM tasks
                WHERE repository_id = \(latest.issue.repositoryID) AND issue_number = \(latest.issue.number)
                    AND status IN ('queued', 'dispatching', 'running')
                ORDER BY created_at DESC LIMIT 1
                """, logger: logger
            ).collect().first?.decode((UUID, String).self) {
                return .stillActive(id, TaskStatus(rawValue: status) ?? .running)
            }
            // A follow-up's retry is a follow-up on the same lines: run as an issue task, it would open a
            // second pull request.
            let task = NewTask(
                issue: latest.issue, requester: requester, request: latest.request, triggerCommentID: commentID,
                deliveryID: deliveryID, retryOf: latest.id, kind: latest.kind, followUpOf: latest.followUpOf)
            _ = try await PostgresTaskRepository.insert(task, on: connection, logger: logger)
            if latest.kind == .followUp {
                try await connection.query(
                    """
                    INSERT INTO task_follow_ups (task_id, source, review_id, comment_id, path, start_line, line, side,
                        diff_hunk)
                    SELECT \(task.id), source, review_id, comment_id, path, start_line, line, side, diff_hunk
                    FROM task_follow_ups WHERE task_id = \(latest.id)
                    """, logger: logger)
            }
            try await PostgresJobQueue.enqueue(
                .dispatch(task.id, priority: task.request.priority), on: connection, logger: logger)
            try await PostgresSideEffectQueue.enqueue(
                notices(task.id), installationID: latest.issue.installationID, taskID: task.id, on: connection,
                logger: logger)
            return .created(task.id)
        }
    }

    public func recentStatusReply(repositoryID: Int64, number: Int, window: Duration) async throws -> String? {
        try await client.query(
            """
            SELECT dedupe_key FROM github_side_effects
            WHERE dedupe_key LIKE \(ControlProcessor.statusReplyPrefix(repositoryID: repositoryID, number: number) + "%")
                AND created_at > now() - \(PostgresJobQueue.interval(window))::interval
            ORDER BY id DESC LIMIT 1
            """, logger: logger
        ).collect().first?.decode(String.self)
    }

    public func notify(installationID: Int64, taskID: UUID?, notices: [TaskNotice]) async throws {
        try await client.withTransaction(logger: logger) { connection in
            try await PostgresSideEffectQueue.enqueue(
                notices, installationID: installationID, taskID: taskID, on: connection, logger: logger)
        }
    }

    public func cancelState(taskID: UUID) async throws -> CancelState? {
        let row = try await client.query(
            """
            SELECT \(unescaped: PostgresTaskRepository.columns),
                cancel_requested_at, now() AS db_now, authorized_at IS NOT NULL AS authorized,
                EXISTS (
                    SELECT 1 FROM tasks AS other WHERE other.repository_id = tasks.repository_id
                        AND other.issue_number = tasks.issue_number AND other.id <> tasks.id
                        AND other.status IN ('dispatching', 'running')) AS other_active,
                a.number AS attempt_number, a.runtime AS attempt_runtime, a.machine_id AS attempt_machine_id,
                a.fly_app AS attempt_fly_app, a.state AS attempt_state
            FROM tasks LEFT JOIN LATERAL (
                SELECT number, runtime, machine_id, fly_app, state FROM task_attempts
                WHERE task_id = tasks.id ORDER BY number DESC LIMIT 1
            ) AS a ON true
            WHERE tasks.id = \(taskID)
            """, logger: logger
        ).collect().first
        guard let row else { return nil }
        let task = try PostgresTaskRepository.task(from: row)
        let columns = row.makeRandomAccess()
        var worker: WorkerHandle?
        if let number = try columns["attempt_number"].decode(Int?.self),
            let runtime = try columns["attempt_runtime"].decode(String?.self)
        {
            worker = WorkerHandle(
                taskID: task.id, attempt: number, runtime: WorkerRuntime(rawValue: runtime) ?? .fly,
                machineID: try columns["attempt_machine_id"].decode(String?.self),
                flyApp: try columns["attempt_fly_app"].decode(String?.self), requesterID: task.requester.id)
        }
        return CancelState(
            task: task, cancelRequestedAt: try columns["cancel_requested_at"].decode(Date?.self),
            now: try columns["db_now"].decode(Date.self), hasStatusComment: try columns["authorized"].decode(Bool.self),
            otherActiveOnIssue: try columns["other_active"].decode(Bool.self), worker: worker,
            attemptState: try columns["attempt_state"].decode(String?.self))
    }

    public func endStopped(
        _ task: PorterTask, attempt: Int?, reason: String, notices: [TaskNotice]
    ) async throws -> Bool {
        try await client.withTransaction(logger: logger) { connection in
            let moved = try await connection.query(
                """
                UPDATE tasks SET status = 'cancelled', status_reason = \(reason)
                WHERE id = \(task.id) AND status IN ('queued', 'dispatching', 'running')
                RETURNING id
                """, logger: logger
            ).collect()
            guard !moved.isEmpty else { return false }
            if let attempt {
                try await connection.query(
                    """
                    UPDATE task_attempts SET state = 'stopped', ended_reason = 'stopped', finished_at = now()
                    WHERE task_id = \(task.id) AND number = \(attempt) AND reply IS NULL
                    """, logger: logger)
            }
            try await PostgresTaskRepository.appendEvent(
                on: connection, taskID: task.id, attempt: attempt, kind: "status", message: "cancelled: \(reason)",
                logger: logger)
            try await PostgresSideEffectQueue.enqueue(notices, for: task, on: connection, logger: logger)
            try await PostgresJobQueue.wakeWaiting(
                requesterID: task.requester.id, repositoryID: task.issue.repositoryID,
                issueNumber: task.issue.number, on: connection, logger: logger)
            return true
        }
    }
}
