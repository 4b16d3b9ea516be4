import Foundation
import Logging
import PostgresNIO

public struct PostgresSideEffectQueue: SideEffectQueue {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Records `effect` on a connection inside the caller's transaction, once per `dedupeKey`, and
    /// wakes the deliverers at commit. With `replacing`, an effect already recorded under the key is
    /// replaced and delivered again (a status comment or labels following the task's latest state);
    /// what its earlier delivery answered, such as the comment's id, is kept. With `notBefore`, the
    /// effect (or the replacement) waits until then: a deferred status edit goes out once its spacing
    /// has passed, with whatever body is latest by then.
    public static func enqueue(
        _ effect: SideEffect, installationID: Int64, taskID: UUID? = nil, dedupeKey: String, replacing: Bool = false,
        notBefore: Date? = nil, on connection: PostgresConnection, logger: Logger
    ) async throws {
        let payload = try effect.payloadJSON()
        if replacing {
            // A replacement is a new delivery: its tries and its patience (from `created_at`) start over,
            // so a status comment first queued a day ago is not given up at the first failure of its edit.
            try await connection.query(
                """
                INSERT INTO github_side_effects (installation_id, task_id, kind, dedupe_key, payload, run_after)
                VALUES (
                    \(installationID), \(taskID), \(effect.kind), \(dedupeKey), \(payload)::jsonb,
                    greatest(now(), \(notBefore)::timestamptz))
                ON CONFLICT (dedupe_key) DO UPDATE SET payload = EXCLUDED.payload, kind = EXCLUDED.kind,
                    state = 'pending', revision = github_side_effects.revision + 1, run_after = EXCLUDED.run_after,
                    attempts = 0,
                    last_error = NULL, completed_at = NULL, created_at = now()
                """, logger: logger)
        } else {
            try await connection.query(
                """
                INSERT INTO github_side_effects (installation_id, task_id, kind, dedupe_key, payload, run_after)
                VALUES (
                    \(installationID), \(taskID), \(effect.kind), \(dedupeKey), \(payload)::jsonb,
                    greatest(now(), \(notBefore)::timestamptz))
                ON CONFLICT (dedupe_key) DO NOTHING
                """, logger: logger)
        }
        try await connection.query("SELECT pg_notify(\(SideEffectDeliverer.channel), \(effect.kind))", logger: logger)
    }

    public func claim(owner: String, lease: Duration, limit: Int) async throws -> [PendingSideEffect] {
        let rows = try await client.query(
            """
            WITH next AS (
                SELECT id FROM github_side_effects
                WHERE state = 'pending' AND run_after <= now()
                    AND (lease_expires_at IS NULL OR lease_expires_at < now())
                ORDER BY run_after, id
                LIMIT \(limit)
                FOR UPDATE SKIP LOCKED
            )
            UPDATE github_side_effects SET lease_owner = \(owner), attempts = github_side_effects.attempts + 1,
                lease_expires_at = now() + \(PostgresJobQueue.interval(lease))::interval
            FROM next WHERE github_side_effects.id = next.id
            RETURNING github_side_effects.id, installation_id, task_id, kind, dedupe_key, payload::text, attempts,
                revision, result::text, created_at
            """, logger: logger)
        var effects: [PendingSideEffect] = []
        for try await (id, installation, taskID, kind, key, payload, attempts, revision, result, queuedAt)
            in rows.decode((Int64, Int64, UUID?, String, String, String, Int, Int, String?, Date).self)
        {
            effects.append(
                PendingSideEffect(
                    id: id, installationID: installation, taskID: taskID, kind: kind, dedupeKey: key,
                    payload: payload, attempts: attempts, revision: revision, previousResult: result,
                    queuedAt: queuedAt))
        }
        return effects.sorted { $0.id < $1.id }
    }

    public func nextDue() async throws -> Duration? {
        let seconds = try await client.query(
            """
            SELECT extract(epoch FROM min(run_after) - now())::float8 FROM github_side_effects
            WHERE state = 'pending' AND (lease_expires_at IS NULL OR lease_expires_at < now())
            """, logger: logger
        ).collect().first?.decode(Double?.self)
        return seconds.map { .milliseconds(max(0, Int(($0 * 1000).rounded(.up)))) }
    }

    public func complete(_ effect: PendingSideEffect, owner: String, result: String) async throws {
        // Replaced while it was being delivered: keep what GitHub answered and deliver the new payload.
        try await client.query(
            """
            UPDATE github_side_effects SET result = \(result)::jsonb, lease_owner = NULL, lease_expires_at = NULL,
                state = CASE WHEN revision = \(effect.revision) THEN 'done' ELSE 'pending' END,
                completed_at = CASE WHEN revision = \(effect.revision) THEN now() END
            WHERE id = \(effect.id) AND lease_owner = \(owner)
            """, logger: logger)
    }

    public func completePullRequest(
        _ effect: PendingSideEffect, owner: String, pull: OpenedPullRequest, notices: [TaskNotice]
    ) async throws {
        let result = String(decoding: try JSONEncoder().encode(pull), as: UTF8.self)
        try await finishPullRequest(
            effect, owner: owner, notices: notices,
            event: "opened #\(pull.number)\(pull.draft ? " (draft)" : ""): \(pull.url)",
            settle: """
                UPDATE github_side_effects SET result = \(result)::jsonb, lease_owner = NULL, lease_expires_at = NULL,
                    state = 'done', completed_at = now()
                WHERE id = \(effect.id) AND lease_owner = \(owner)
                RETURNING id
                """,
            record: effect.taskID.map {
                """
                UPDATE tasks SET pull_request_number = \(pull.number), pull_request_url = \(pull.url),
                    pull_request_state = \((pull.state ?? .open).rawValue), pull_request_draft = \(pull.draft),
                    pull_request_closed_at = \(pull.closedAt), pull_request_merged_at = \(pull.mergedAt)
                WHERE id = \($0)
                """
            })
    }

    @discardableResult
    public func abandonPullRequest(
        _ effect: PendingSideEffect, owner: String, error: String, notices: [TaskNotice]
    ) async throws -> Bool {
        try await finishPullRequest(
            effect, owner: owner, notices: notices, event: "the pull request could not be opened: \(error)",
            settle: """
                UPDATE github_side_effects SET last_error = \(error), lease_owner = NULL, lease_expires_at = NULL,
                    state = 'abandoned', completed_at = now()
                WHERE id = \(effect.id) AND lease_owner = \(owner)
                RETURNING id
                """,
            record: nil)
    }

    /// Settles a pull request effect this deliverer still owns, records on its task what became of it,
    /// and queues `notices`, in one transaction. An effect another deliverer took over after this
    /// one's lease ran out is left to that one (and false returned).
    @discardableResult
    func finishPullRequest(
        _ effect: PendingSideEffect, owner: String, notices: [TaskNotice], event: String, settle: PostgresQuery,
        record: PostgresQuery?
    ) async throws -> Bool {
        try await client.withTransaction(logger: logger) { connection in
            guard try await !connection.query(settle, logger: logger).collect().isEmpty else { return false }
            if let taskID = effect.taskID {
                if let record { try await connection.query(record, logger: logger) }
                try await PostgresTaskRepository.appendEvent(
                    on: connection, taskID: taskID, kind: "pull_request", message: event, logger: logger)
            }
            try await Self.enqueue(
                notices, installationID: effect.installationID, taskID: effect.taskID, on: connection, logger: logger)
            return true
        }
    }

    public func claimOutsiderReply(repositoryID: Int64, issueNumber: Int, dedupeKey: String) async throws -> Bool {
        // The primary key decides between racing deliverers; the no-op update lets a retried delivery of
        // the effect that took the day find it is still its own. Earlier days of the issue are dropped
        // on the way, so the table keeps one row per issue.
        try await !client.query(
            """
            WITH earlier AS (
                DELETE FROM outsider_replies
                WHERE repository_id = \(repositoryID) AND issue_number = \(issueNumber)
                    AND day < (now() AT TIME ZONE 'UTC')::date
            )
            INSERT INTO outsider_replies (repository_id, issue_number, day, dedupe_key)
            VALUES (\(repositoryID), \(issueNumber), (now() AT TIME ZONE 'UTC')::date, \(dedupeKey))
            ON CONFLICT (repository_id, issue_number, day) DO UPDATE SET dedupe_key = outsider_replies.dedupe_key
                WHERE outsider_replies.dedupe_key = EXCLUDED.dedupe_key
            RETURNING 1
            """, logger: logger
        ).collect().isEmpty
    }

    public func extend(_ effect: PendingSideEffect, owner: String, lease: Duration) async throws -> Bool {
        try await !client.query(
            """
            UPDATE github_side_effects SET lease_expires_at = now() + \(PostgresJobQueue.interval(lease))::interval
            WHERE id = \(effect.id) AND lease_owner = \(owner) AND lease_expires_at >= now()
            RETURNING id
            """, logger: logger
        ).collect().isEmpty
    }

    public func retry(_ id: Int64, owner: String, after delay: Duration, error: String) async throws {
        try await client.query(
            """
            UPDATE github_side_effects SET last_error = \(error), lease_owner = NULL, lease_expires_at = NULL,
                run_after = now() + \(PostgresJobQueue.interval(delay))::interval
            WHERE id = \(id) AND lease_owner = \(owner)
            """, logger: logger)
    }

    @discardableResult
    public func abandon(_ effect: PendingSideEffect, owner: String, error: String) async throws -> Bool {
        try await client.query(
            """
            UPDATE github_side_effects SET last_error = \(error), lease_owner = NULL, lease_expires_at = NULL,
                state = CASE WHEN revision = \(effect.revision) THEN 'abandoned' ELSE 'pending' END,
                completed_at = CASE WHEN revision = \(effect.revision) THEN now() END
            WHERE id = \(effect.id) AND lease_owner = \(owner)
            RETURNING state
            """, logger: logger
        ).collect().first?.decode(String.self) == "abandoned"
    }
}
