import Foundation
import PorterKit
import PorterTestSupport
import PostgresNIO

/// Rows of every table the retention sweep prunes, written with chosen ages (`'31 days'` means 31 days
/// before now on the database's clock).
struct RetentionRows {
    let client: PostgresClient

    func delivery(age: String) async throws -> String {
        let id = UUID().uuidString
        try await client.query(
            """
            INSERT INTO webhook_deliveries (delivery_id, event, outcome, received_at)
            VALUES (\(id), 'issue_comment', 'task_created', now() - \(age)::interval)
            """)
        return id
    }

    /// A task in `status`, finished `finishedAge` ago when the status is terminal.
    func task(status: String = "queued", finishedAge: String = "0 seconds") async throws -> UUID {
        let id = UUID()
        try await client.query(
            """
            INSERT INTO tasks (id, installation_id, repository_id, repository_full_name, issue_number,
                requester_id, requester_login, agent)
            VALUES (\(id), 1, 42, 'octo/repo', \(Int.random(in: 1...1_000_000)), 9, 'octocat', 'claude')
            """)
        if status != "queued" {
            try await client.query(
                "UPDATE tasks SET status = \(status), finished_at = now() - \(finishedAge)::interval WHERE id = \(id)")
        }
        return id
    }

    func event(task: UUID, age: String, count: Int = 1) async throws {
        try await client.query(
            """
            INSERT INTO task_events (task_id, kind, message, created_at)
            SELECT \(task), 'progress', 'step ' || n, now() - \(age)::interval FROM generate_series(1, \(count)) n
            """)
    }

    func sideEffect(state: String, age: String) async throws -> Int64 {
        try await client.query(
            """
            INSERT INTO github_side_effects (installation_id, kind, dedupe_key, payload, state, created_at, completed_at)
            VALUES (1, 'comment', \(UUID().uuidString), '{}', \(state), now() - \(age)::interval,
                CASE WHEN \(state) <> 'pending' THEN now() - \(age)::interval END)
            RETURNING id
            """
        ).collect().first!.decode(Int64.self)
    }

    /// A job of `task` (or of none) created `age` ago, leased for another `leaseLeft` when given. Enqueued
    /// through the queue, its only writer, then aged.
    func job(task: UUID?, kind: JobKind = .cancel, age: String, leaseLeft: String? = nil) async throws -> Int64 {
        try await PostgresJobQueue(client: client, logger: TestDatabase.logger).enqueue(
            NewJob(kind: kind, taskID: task))
        return try await client.query(
            """
            UPDATE jobs SET created_at = now() - \(age)::interval,
                lease_owner = CASE WHEN \(leaseLeft)::text IS NOT NULL THEN 'dispatcher-1' END,
                lease_expires_at = now() + \(leaseLeft)::interval
            WHERE id = (SELECT max(id) FROM jobs)
            RETURNING id
            """
        ).collect().first!.decode(Int64.self)
    }

    /// A session that expired `expiredAge` ago (a negative age is still valid), revoked `revokedAge` ago if given.
    func session(expiredAge: String, revokedAge: String? = nil) async throws -> Data {
        let id = Data(UUID().uuidString.utf8)
        try await client.query(
            """
            INSERT INTO users (id, login) VALUES (9, 'octocat') ON CONFLICT DO NOTHING
            """)
        try await client.query(
            """
            INSERT INTO sessions (id_hash, user_id, csrf_token, expires_at, revoked_at)
            VALUES (\(id), 9, 'csrf', now() - \(expiredAge)::interval, now() - \(revokedAge)::interval)
            """)
        return id
    }

    func count(_ sql: String) async throws -> Int {
        try await client.query(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(sql)")).collect().first!.decode(
            Int.self)
    }
}
