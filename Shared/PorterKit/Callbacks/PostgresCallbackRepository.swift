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

    public func attempt(taskID: UUID, number: Int?, includePrompt: Bool) async throws -> CallbackAttempt? {
        // One round trip: the task, the attempt, and the spec without its prompt unless asked for (a
        // heartbeat has no use for the issue text).
        let row = try await client.query(
            """
            SELECT \(unescaped: PostgresTaskRepository.columns),
                a.attempt_number, a.attempt_latest, a.attempt_runtime, a.attempt_machine_id, a.attempt_fly_app,
                a.attempt_requester_fly_app, a.attempt_token_hash, a.attempt_token_expires_at, a.attempt_reply,
                CASE WHEN \(includePrompt) THEN prompt ELSE '' END AS spec_prompt, prompt IS NOT NULL AS has_spec,
                branch AS spec_branch, base_branch AS spec_base, deadline_at AS spec_deadline,
                key_source AS spec_key_source, coalesce(issue_title, '') AS spec_issue_title,
                cancel_requested_at IS NOT NULL AS cancel_requested,
                f.head_sha AS follow_up_head_sha, f.side_branch AS follow_up_side_branch,
                f.sequence AS follow_up_sequence
            FROM tasks LEFT JOIN task_follow_ups AS f ON f.task_id = tasks.id JOIN LATERAL (
                SELECT number AS attempt_number,
                    number = (SELECT max(number) FROM task_attempts WHERE task_id = tasks.id) AS attempt_latest,
                    runtime AS attempt_runtime, machine_id AS attempt_machine_id, fly_app AS attempt_fly_app,
                    requester_fly_app AS attempt_requester_fly_app,
                    token_hash AS attempt_token_hash, token_expires_at AS attempt_token_expires_at,
                    reply::text AS attempt_reply
                FROM task_attempts
                WHERE task_id = tasks.id AND (\(number)::integer IS NULL OR number = \(number))
                ORDER BY number DESC LIMIT 1
            ) AS a ON true
            WHERE tasks.id = \(taskID)
            """, logger: logger
        ).collect().first
        guard let row else { return nil }
        let task = try PostgresTaskRepository.task(from: row)
        let columns = row.makeRandomAccess()
        var spec: TaskSpec?
        if try columns["has_spec"].decode(Bool.self), let branch = try columns["spec_branch"].decode(String?.self),
            let base = try columns["spec_base"].decode(String?.self),
            let deadline = try columns["spec_deadline"].decode(Date?.self),
            let keySource = try columns["spec_key_source"].decode(String?.self)
        {
            spec = TaskSpec(
                prompt: try columns["spec_prompt"].decode(String.self), branch: branch, baseBranch: base,
                deadline: deadline, keySource: keySource,
                issueTitle: try columns["spec_issue_title"].decode(String.self),
                followUp: try TaskSpec.FollowUp(
                    headSHA: columns["follow_up_head_sha"].decode(String?.self),
                    sideBranch: columns["follow_up_side_branch"].decode(String?.self),
                    sequence: columns["follow_up_sequence"].decode(Int?.self)))
        }
        return CallbackAttempt(
            task: task, number: try columns["attempt_number"].decode(Int.self),
            isLatest: try columns["attempt_latest"].decode(Bool.self),
            runtime: try columns["attempt_runtime"].decode(String.self),
            machineID: try columns["attempt_machine_id"].decode(String?.self),
            flyApp: try columns["attempt_fly_app"].decode(String?.self),
            inRequesterApp: try columns["attempt_requester_fly_app"].decode(Bool?.self),
            tokenHash: try columns["attempt_token_hash"].decode(ByteBuffer?.self).map { Array(buffer: $0) },
            tokenExpiresAt: try columns["attempt_token_expires_at"].decode(Date?.self), spec: spec,
            cancelRequested: try columns["cancel_requested"].decode(Bool.self),
            reply: try columns["attempt_reply"].decode(String?.self))
    }

    public func heartbeat(_ attempt: CallbackAttempt) async throws {
        // Only an attempt its dispatcher recorded as created becomes running: one still `creating` is
        // the dispatcher's to finish, and its crash recovery looks for exactly that state.
        try await client.query(
            """
            UPDATE task_attempts SET last_heartbeat_at = now(),
                state = CASE WHEN state = 'created' THEN 'running' ELSE state END
            WHERE task_id = \(attempt.task.id) AND number = \(attempt.number)
            """, logger: logger)
    }

    public func recordProgress(
        _ attempt: CallbackAttempt, _ progress: ProgressReport, note: String?, spacing: Duration,
        notices: [TaskNotice]
    ) async throws {
        let data = try JSONSerialization.data(withJSONObject: ["phase": progress.phase, "lines": progress.lines])
        let dataText = String(decoding: data, as: UTF8.self)
        let spacing = PostgresJobQueue.interval(spacing)
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query(
                """
                INSERT INTO task_events (task_id, attempt, kind, message, data)
                VALUES (\(attempt.task.id), \(attempt.number), 'progress', \(progress.message), \(dataText)::jsonb)
                """, logger: logger)
            // `progress_noted_at` is when the latest phase is (or was) shown. A new phase is due a spacing
            // after the previous one; while that edit still waits (its time is ahead), anything newer
            // takes its place in the same slot, so nothing is dropped and nothing goes out sooner.
            let row = try await connection.query(
                """
                UPDATE tasks SET progress_phase = \(progress.phase), progress_message = \(note),
                    progress_noted_at = CASE
                        WHEN old.noted > now() THEN old.noted
                        WHEN old.phase IS NOT DISTINCT FROM \(progress.phase) THEN old.noted
                        WHEN old.noted IS NULL THEN now()
                        ELSE greatest(now(), old.noted + \(spacing)::interval) END
                FROM (
                    SELECT id, progress_phase AS phase, progress_noted_at AS noted FROM tasks
                    WHERE id = \(attempt.task.id) FOR UPDATE
                ) AS old
                WHERE tasks.id = old.id AND tasks.status = 'running'
                RETURNING old.phase IS DISTINCT FROM \(progress.phase) OR coalesce(old.noted > now(), false),
                    tasks.progress_noted_at
                """, logger: logger
            ).collect().first
            guard !notices.isEmpty, let (edit, due) = try row?.decode((Bool, Date?).self), edit else { return }
            let deferred = notices.map { notice in
                var notice = notice
                notice.notBefore = due
                return notice
            }
            try await PostgresSideEffectQueue.enqueue(deferred, for: attempt.task, on: connection, logger: logger)
        }
    }

    public func complete(
        _ attempt: CallbackAttempt, report: CompletionReport,
        decide: @Sendable (CompletionContext) -> Finalization
    ) async throws -> (reply: String, first: Bool) {
        let taskID = attempt.task.id
        // A follow-up's branch is its pull request's, which its spec names: work its worker put on a side
        // branch is recorded as that, never in the branch's place.
        let branch = attempt.task.kind == .followUp ? nil : report.branch
        return try await client.withTransaction(logger: logger) { connection in
            // The attempt row's lock makes concurrent copies of the report wait for the first one.
            let stored = try await connection.query(
                """
                SELECT reply::text FROM task_attempts WHERE task_id = \(taskID) AND number = \(attempt.number)
                FOR UPDATE
                """, logger: logger
            ).collect().first
            if let reply = try stored?.decode(String?.self) { return (reply, false) }
            // Read under the locks: the task, and a stop asked for or a newer attempt begun while the worker ran.
            guard
                let row = try await connection.query(
                    """
                    SELECT \(unescaped: PostgresTaskRepository.columns),
                        cancel_requested_at IS NOT NULL AS cancel_requested,
                        (SELECT max(number) FROM task_attempts WHERE task_id = tasks.id) = \(attempt.number) AS latest
                    FROM tasks WHERE id = \(taskID) FOR UPDATE
                    """, logger: logger
                ).collect().first
            else { throw RepositoryError.missingRow("task \(taskID)") }
            let task = try PostgresTaskRepository.task(from: row)
            let columns = row.makeRandomAccess()
            let decision = decide(
                CompletionContext(
                    task: task, cancelRequested: try columns["cancel_requested"].decode(Bool.self),
                    superseded: !(try columns["latest"].decode(Bool.self))))
            if let status = decision.status {
                // A task whose claim went back to the queue after its worker started moves on from there.
                if task.status == .queued {
                    try await connection.query(
                        "UPDATE tasks SET status = 'dispatching' WHERE id = \(taskID)", logger: logger)
                }
                try await connection.query(
                    """
                    UPDATE tasks SET status = \(status.rawValue), status_reason = \(decision.reason),
                        branch = coalesce(\(branch), branch), head_sha = coalesce(\(report.headSHA), head_sha)
                    WHERE id = \(taskID)
                    """, logger: logger)
            } else if decision.recordsBranch {
                // A late report of the attempt that ran keeps its branch on the ended task; a superseded
                // attempt's report is kept on its attempt only.
                try await connection.query(
                    """
                    UPDATE tasks SET branch = coalesce(\(branch), branch),
                        head_sha = coalesce(\(report.headSHA), head_sha)
                    WHERE id = \(taskID)
                    """, logger: logger)
            }
            if task.kind == .followUp, decision.status != nil || decision.recordsBranch {
                try await Self.recordFollowUp(report, taskID: taskID, on: connection, logger: logger)
            }
            let replyJSON = String(decoding: try JSONEncoder.callback.encode(decision.reply), as: UTF8.self)
            let reply = try await connection.query(
                """
                UPDATE task_attempts SET state = 'finished', finished_at = now(),
                    outcome = \(decision.retry ? TaskStatus.failed.rawValue : (decision.status ?? task.status).rawValue),
                    ended_reason = \(decision.retry ? "infrastructure" : nil), reported_status = \(report.outcome.rawValue),
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
            if decision.retry {
                // A new attempt, with a fresh deadline: the worker's infrastructure failed, not the agent.
                try await connection.query(
                    """
                    UPDATE tasks SET deadline_at = now() + (deadline_at - coalesce(started_at, created_at))
                    WHERE id = \(taskID) AND deadline_at IS NOT NULL
                    """, logger: logger)
                try await PostgresJobQueue.enqueue(
                    .dispatch(taskID, priority: task.request.priority), on: connection, logger: logger)
            } else if decision.status != nil {
                // A slot or the issue just freed up: tasks waiting for one look again now, not at their next poll.
                try await PostgresJobQueue.wakeWaiting(
                    requesterID: task.requester.id, repositoryID: task.issue.repositoryID,
                    issueNumber: task.issue.number, on: connection, logger: logger)
            }
            return (reply, true)
        }
    }
}

extension PostgresCallbackRepository {
    /// What a follow-up's worker said of its push: the commit it rebased onto, the files that
    /// conflicted, and the side branch its work went to.
    static func recordFollowUp(
        _ report: CompletionReport, taskID: UUID, on connection: PostgresConnection, logger: Logger
    ) async throws {
        guard report.rebasedOnto != nil || !report.conflictFiles.isEmpty || report.sideBranch != nil else { return }
        let files = report.conflictFiles.isEmpty ? nil : report.conflictFiles
        try await connection.query(
            """
            UPDATE task_follow_ups SET rebased_onto = coalesce(\(report.rebasedOnto), rebased_onto),
                conflict_files = coalesce(\(files), conflict_files), side_branch = coalesce(\(report.sideBranch), side_branch)
            WHERE task_id = \(taskID)
            """, logger: logger)
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
