import Foundation
import Logging
import NIOCore
import PostgresNIO

extension PostgresDispatchRepository {
    public func state(taskID: UUID) async throws -> DispatchState? {
        guard let task = try await PostgresTaskRepository(client: client, logger: logger).find(id: taskID) else {
            return nil
        }
        let row = try await client.query(
            """
            SELECT authorized_permission, prompt, branch, base_branch, deadline_at, key_source, coalesce(issue_title, ''),
                cancel_requested_at IS NOT NULL,
                EXISTS (
                    SELECT 1 FROM installations WHERE installations.id = tasks.installation_id
                        AND (suspended_at IS NOT NULL OR deleted_at IS NOT NULL)),
                (SELECT fly_app FROM task_attempts WHERE task_id = tasks.id AND state = 'creating'
                    ORDER BY number DESC LIMIT 1),
                EXISTS (
                    SELECT 1 FROM tasks AS other WHERE other.repository_id = tasks.repository_id
                        AND other.issue_number = tasks.issue_number AND other.id <> tasks.id
                        AND other.status IN ('dispatching', 'running')),
                EXISTS (SELECT 1 FROM users WHERE users.id = tasks.requester_id),
                (SELECT fly_app FROM user_settings WHERE user_id = tasks.requester_id),
                (SELECT fly_org FROM user_settings WHERE user_id = tasks.requester_id),
                f.source, f.review_id, f.comment_id, f.path, f.start_line, f.line, f.side, f.diff_hunk,
                f.head_sha, f.side_branch, f.sequence
            FROM tasks LEFT JOIN task_follow_ups AS f ON f.task_id = tasks.id WHERE tasks.id = \(taskID)
            """, logger: logger
        ).collect().first
        guard let row else { return nil }
        let (
            permission, prompt, branch, base, deadline, keySource, issueTitle, cancelRequested, inactive, attemptApp,
            otherActive,
            hasAccount, flyApp, flyOrg
        ) = try row.decode(
            (
                String?, String?, String?, String?, Date?, String?, String, Bool, Bool, String?, Bool, Bool, String?,
                String?
            ).self
        )
        let columns = row.makeRandomAccess()
        let followUp = try Self.followUpRequest(columns)
        var spec: TaskSpec?
        if let prompt, let branch, let base, let deadline, let keySource {
            spec = TaskSpec(
                prompt: prompt, branch: branch, baseBranch: base, deadline: deadline, keySource: keySource,
                issueTitle: issueTitle,
                followUp: try TaskSpec.FollowUp(
                    headSHA: columns["head_sha"].decode(String?.self),
                    sideBranch: columns["side_branch"].decode(String?.self),
                    sequence: columns["sequence"].decode(Int?.self)))
        }
        return DispatchState(
            task: task, authorizedPermission: permission, spec: spec, cancelRequested: cancelRequested,
            installationInactive: inactive, requesterHasAccount: hasAccount, openAttemptApp: attemptApp,
            otherActiveOnIssue: otherActive, requesterFlyApp: flyApp, requesterFlyOrg: flyOrg, followUp: followUp)
    }

    /// The `task_follow_ups` columns the intake stored, or nil for a task that is no follow-up.
    static func followUpRequest(_ columns: PostgresRandomAccessRow) throws -> FollowUpRequest? {
        guard let source = try columns["source"].decode(String?.self).flatMap(FollowUpRequest.Source.init) else {
            return nil
        }
        var request = FollowUpRequest(source: source)
        // Stored already capped and storable: read back as they are.
        request.reviewID = try columns["review_id"].decode(Int64?.self)
        request.commentID = try columns["comment_id"].decode(Int64?.self)
        request.path = try columns["path"].decode(String?.self)
        request.startLine = try columns["start_line"].decode(Int?.self)
        request.line = try columns["line"].decode(Int?.self)
        request.side = try columns["side"].decode(String?.self)
        request.diffHunk = try columns["diff_hunk"].decode(String?.self)
        return request
    }

    public func recordAuthorization(
        _ task: PorterTask, permission: GitHubPermission, notices: [TaskNotice]
    ) async throws {
        try await client.withTransaction(logger: logger) { connection in
            let updated = try await connection.query(
                """
                UPDATE tasks SET authorized_permission = \(permission.rawValue), authorized_at = now()
                WHERE id = \(task.id) AND authorized_permission IS NULL AND status = 'queued'
                RETURNING id
                """, logger: logger
            ).collect()
            guard !updated.isEmpty else { return }
            try await PostgresTaskRepository.appendEvent(
                on: connection, taskID: task.id, kind: "authorized",
                message: "@\(task.requester.login) has \(permission.rawValue) permission", logger: logger)
            try await PostgresSideEffectQueue.enqueue(notices, for: task, on: connection, logger: logger)
        }
    }

    public func noteWaiting(_ task: PorterTask, reason: String, notices: [TaskNotice]) async throws {
        try await client.withTransaction(logger: logger) { connection in
            let changed = try await connection.query(
                """
                UPDATE tasks SET status_reason = \(reason)
                WHERE id = \(task.id) AND status = 'queued' AND status_reason IS DISTINCT FROM \(reason)
                RETURNING id
                """, logger: logger
            ).collect()
            guard !changed.isEmpty else { return }
            try await PostgresTaskRepository.appendEvent(
                on: connection, taskID: task.id, kind: "waiting", message: reason, logger: logger)
            try await PostgresSideEffectQueue.enqueue(notices, for: task, on: connection, logger: logger)
        }
    }

    public func notify(_ task: PorterTask, notices: [TaskNotice]) async throws {
        try await client.withTransaction(logger: logger) { connection in
            try await PostgresSideEffectQueue.enqueue(notices, for: task, on: connection, logger: logger)
        }
    }

    public func end(
        _ task: PorterTask, as status: TaskStatus, reason: String, notices: [TaskNotice]
    ) async throws -> TransitionOutcome {
        try await client.withTransaction(logger: logger) { connection in
            let current = try await connection.query(
                "SELECT status FROM tasks WHERE id = \(task.id) FOR UPDATE", logger: logger
            ).collect().first?.decode(String.self)
            guard let current, let currentStatus = TaskStatus(rawValue: current) else { return .notFound }
            guard currentStatus.canMove(to: status) else { return .unchanged(current: currentStatus) }
            try await connection.query(
                "UPDATE tasks SET status = \(status.rawValue), status_reason = \(reason) WHERE id = \(task.id)",
                logger: logger)
            try await PostgresTaskRepository.appendEvent(
                on: connection, taskID: task.id, kind: "status", message: "\(status.rawValue): \(reason)",
                logger: logger)
            try await PostgresSideEffectQueue.enqueue(notices, for: task, on: connection, logger: logger)
            return .moved(from: currentStatus)
        }
    }

    /// Stores the spec once: a second dispatcher's spec for the same task changes nothing. A follow-up's
    /// branches go with it in the same transaction.
    public func recordSpec(_ taskID: UUID, _ spec: TaskSpec) async throws {
        try await client.withTransaction(logger: logger) { connection in
            let recorded = try await connection.query(
                """
                UPDATE tasks SET prompt = \(spec.prompt), branch = \(spec.branch), base_branch = \(spec.baseBranch),
                    deadline_at = \(spec.deadline), key_source = \(spec.keySource), issue_title = \(spec.issueTitle)
                WHERE id = \(taskID) AND prompt IS NULL
                RETURNING id
                """, logger: logger
            ).collect()
            guard !recorded.isEmpty, let followUp = spec.followUp else { return }
            try await connection.query(
                """
                UPDATE task_follow_ups SET head_ref = \(spec.branch), head_sha = \(followUp.headSHA),
                    base_ref = \(spec.baseBranch), side_branch = \(followUp.sideBranch), sequence = \(followUp.sequence)
                WHERE task_id = \(taskID)
                """, logger: logger)
        }
    }

    /// A follow-up's 1-based place among the follow-ups of its pull request, by when they were asked for:
    /// fixed once the task exists, so every dispatcher names the same side branch.
    public func followUpSequence(of task: PorterTask) async throws -> Int {
        try await client.query(
            """
            SELECT count(*)::integer FROM tasks
            WHERE repository_id = \(task.issue.repositoryID) AND issue_number = \(task.issue.number)
                AND kind = 'follow_up'
                AND (created_at, id) <= (SELECT created_at, id FROM tasks WHERE id = \(task.id))
            """, logger: logger
        ).collect().first?.decode(Int.self) ?? 1
    }

    public func markRunning(
        _ task: PorterTask, attempt: Int, machineID: String, notices: [TaskNotice]
    ) async throws -> TransitionOutcome {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query(
                """
                UPDATE task_attempts SET machine_id = \(machineID),
                    state = CASE WHEN state = 'creating' THEN 'created' ELSE state END,
                    started_at = coalesce(started_at, now())
                WHERE task_id = \(task.id) AND number = \(attempt)
                """, logger: logger)
            // An attempt whose worker already reported (a clone that failed at once, retried as a new
            // attempt) is not what the task runs on: it stays dispatching for the next attempt.
            let moved = try await connection.query(
                """
                UPDATE tasks SET status = 'running', status_reason = NULL, started_at = now()
                WHERE id = \(task.id) AND status = 'dispatching' AND EXISTS (
                    SELECT 1 FROM task_attempts
                    WHERE task_id = \(task.id) AND number = \(attempt) AND reply IS NULL)
                RETURNING id
                """, logger: logger
            ).collect()
            guard !moved.isEmpty else {
                let current = try await connection.query(
                    "SELECT status FROM tasks WHERE id = \(task.id)", logger: logger
                ).collect().first?.decode(String.self)
                return current.flatMap(TaskStatus.init(rawValue:)).map { .unchanged(current: $0) } ?? .notFound
            }
            try await PostgresTaskRepository.appendEvent(
                on: connection, taskID: task.id, attempt: attempt, kind: "status",
                message: "running on \(machineID)", logger: logger)
            try await PostgresSideEffectQueue.enqueue(notices, for: task, on: connection, logger: logger)
            return .moved(from: .dispatching)
        }
    }

    public func issueNumber(of id: UUID?) async throws -> Int? {
        guard let id else { return nil }
        let rows = try await client.query("SELECT issue_number FROM tasks WHERE id = \(id)", logger: logger)
        for try await number in rows.decode(Int.self) { return number }
        return nil
    }
}
