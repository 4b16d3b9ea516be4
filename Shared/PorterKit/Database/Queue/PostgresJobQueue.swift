import Foundation
import Logging
import PostgresNIO

public struct PostgresJobQueue: JobQueue {
    let client: PostgresClient
    let logger: Logger
    let completions: JobCompletions

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
        self.completions = JobCompletions(client: client, logger: logger)
    }

    /// The channel claimers listen on.
    public static let channel = "porter_jobs"

    /// The steps of a `WITH` statement that enqueue a dispatch job for each task id in the step
    /// `tasks` (a column `id`) at `priority` (SQL), and wake the dispatchers at commit: `job`, the
    /// jobs made, and `wakeup`. For a statement that stores a task and its job in one round trip;
    /// written here so the queue stays the one place that writes jobs.
    static func dispatchJobSteps(forTasksIn tasks: String, priority: String) -> String {
        """
        job AS (
            INSERT INTO jobs (kind, task_id, priority)
            SELECT '\(JobKind.dispatch.rawValue)', id, \(priority) FROM \(tasks)
            ON CONFLICT (task_id, kind) WHERE task_id IS NOT NULL DO NOTHING
            RETURNING id
        ),
        wakeup AS (SELECT pg_notify('\(channel)', '\(JobKind.dispatch.rawValue)') FROM job)
        """
    }

    @discardableResult
    public func enqueue(_ job: NewJob) async throws -> Bool {
        try await client.withConnection { try await Self.enqueue(job, on: $0, logger: logger) }
    }

    /// Enqueues `job` on `connection`, inside the caller's transaction when it has one, so the job
    /// exists exactly when the state change that asked for it commits; the wake-up is sent at commit.
    /// False when the task already has a job of that kind (one per task and kind).
    @discardableResult
    public static func enqueue(_ job: NewJob, on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        let inserted = try await connection.query(
            """
            INSERT INTO jobs (kind, task_id, payload, priority, run_after)
            VALUES (\(job.kind.rawValue), \(job.taskID), \(job.payload)::jsonb, \(job.priority.rank),
                now() + \(interval(job.delay))::interval)
            ON CONFLICT (task_id, kind) WHERE task_id IS NOT NULL DO NOTHING
            RETURNING id
            """, logger: logger
        ).collect()
        guard !inserted.isEmpty else { return false }
        try await connection.query("SELECT pg_notify(\(channel), \(job.kind.rawValue))", logger: logger)
        return true
    }

    /// Makes the waiting dispatch jobs of queued tasks that share `requesterID` or the issue runnable
    /// now: a slot or the issue just freed up, so they need not wait for their next poll.
    public static func wakeWaiting(
        requesterID: Int64, repositoryID: Int64, issueNumber: Int, on connection: PostgresConnection, logger: Logger
    ) async throws {
        try await connection.query(
            """
            UPDATE jobs SET run_after = now()
            WHERE kind = 'dispatch' AND run_after > now() AND lease_owner IS NULL AND task_id IN (
                SELECT id FROM tasks WHERE status = 'queued' AND (requester_id = \(requesterID)
                    OR (repository_id = \(repositoryID) AND issue_number = \(issueNumber))))
            """, logger: logger)
        try await connection.query("SELECT pg_notify(\(channel), 'finished')", logger: logger)
    }

    public func claim(kinds: [String], owner: String, lease: Duration, limit: Int) async throws -> [ClaimedJob] {
        // SKIP LOCKED lets many claimers scan the same index without waiting on each other's rows; the
        // lease, not the row lock, is what keeps a job exclusive after this transaction commits.
        let rows = try await client.query(
            """
            WITH next AS (
                SELECT id FROM jobs
                WHERE kind = ANY(\(kinds)) AND run_after <= now()
                    AND (lease_expires_at IS NULL OR lease_expires_at < now())
                ORDER BY priority DESC, id
                LIMIT \(limit)
                FOR UPDATE SKIP LOCKED
            )
            UPDATE jobs SET lease_owner = \(owner), lease_expires_at = now() + \(Self.interval(lease))::interval,
                attempts = jobs.attempts + 1
            FROM next WHERE jobs.id = next.id
            RETURNING jobs.id, jobs.kind, jobs.task_id, jobs.payload::text, jobs.priority, jobs.attempts,
                jobs.failures, jobs.failing_since
            """, logger: logger)
        var jobs: [ClaimedJob] = []
        for try await (id, kind, taskID, payload, rank, attempts, failures, failingSince) in rows.decode(
            (Int64, String, UUID?, String, Int16, Int, Int, Date?).self)
        {
            jobs.append(
                ClaimedJob(
                    id: id, kind: kind, taskID: taskID, payload: payload, priority: TaskPriority(rank: rank) ?? .normal,
                    attempts: attempts, failures: failures, failingSince: failingSince))
        }
        return jobs.sorted { ($0.priority.rank, -$0.id) > ($1.priority.rank, -$1.id) }
    }

    /// Completions from this queue's claimers share statements when they come together (`JobCompletions`).
    public func complete(_ id: Int64, owner: String) async throws -> Bool {
        try await completions.complete(id, owner: owner)
    }

    public func release(
        _ id: Int64, owner: String, after delay: Duration, error: String?, failed: Bool
    ) async throws -> Bool {
        try await !client.query(
            """
            UPDATE jobs SET lease_owner = NULL, lease_expires_at = NULL, last_error = \(error),
                run_after = now() + \(Self.interval(delay))::interval,
                failures = CASE WHEN \(failed) THEN failures + 1 ELSE 0 END,
                failing_since = CASE WHEN \(failed) THEN coalesce(failing_since, now()) END
            WHERE id = \(id) AND lease_owner = \(owner)
            RETURNING id
            """, logger: logger
        ).collect().isEmpty
    }

    public func extend(_ id: Int64, owner: String, lease: Duration) async throws -> Bool {
        try await !client.query(
            """
            UPDATE jobs SET lease_expires_at = now() + \(Self.interval(lease))::interval
            WHERE id = \(id) AND lease_owner = \(owner) AND lease_expires_at >= now()
            RETURNING id
            """, logger: logger
        ).collect().isEmpty
    }

    public func depth(kinds: [String]) async throws -> Int {
        try await client.query("SELECT count(*) FROM jobs WHERE kind = ANY(\(kinds))", logger: logger).collect()
            .first?.decode(Int.self) ?? 0
    }

    /// A Postgres interval literal in milliseconds.
    static func interval(_ duration: Duration) -> String {
        "\(duration.milliseconds) milliseconds"
    }
}
