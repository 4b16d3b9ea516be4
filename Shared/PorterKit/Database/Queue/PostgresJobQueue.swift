import Foundation
import Logging
import PostgresNIO

public struct PostgresJobQueue: JobQueue {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
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
            RETURNING jobs.id, jobs.kind, jobs.task_id, jobs.payload::text, jobs.priority, jobs.attempts
            """, logger: logger)
        var jobs: [ClaimedJob] = []
        for try await (id, kind, taskID, payload, rank, attempts) in rows.decode(
            (Int64, String, UUID?, String, Int16, Int).self)
        {
            jobs.append(
                ClaimedJob(
                    id: id, kind: kind, taskID: taskID, payload: payload, priority: TaskPriority(rank: rank) ?? .normal,
                    attempts: attempts))
        }
        return jobs.sorted { ($0.priority.rank, -$0.id) > ($1.priority.rank, -$1.id) }
    }

    public func complete(_ id: Int64, owner: String) async throws -> Bool {
        try await !client.query(
            "DELETE FROM jobs WHERE id = \(id) AND lease_owner = \(owner) RETURNING id", logger: logger
        ).collect().isEmpty
    }

    public func release(_ id: Int64, owner: String, after delay: Duration, error: String?) async throws -> Bool {
        try await !client.query(
            """
            UPDATE jobs SET lease_owner = NULL, lease_expires_at = NULL, last_error = \(error),
                run_after = now() + \(Self.interval(delay))::interval
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
        let milliseconds = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        return "\(milliseconds) milliseconds"
    }
}
