import Foundation
import Logging
import PorterKit
import PostgresNIO

/// Expired rows for the retention benchmark: a third each of webhook deliveries, task events (of a
/// thousand finished tasks) and delivered or abandoned side effects, 100 to 130 days old, so past every
/// default horizon.
struct RetentionSeed {
    let rows: Int
    let logger: Logger

    func seed(_ postgres: PostgresClient) async throws {
        let start = ContinuousClock.now
        let third = rows / 3
        let events = rows - 2 * third
        let age = "now() - interval '100 days' - random() * interval '30 days'"
        let statements = [
            """
            INSERT INTO webhook_deliveries (delivery_id, event, action, installation_id, outcome, received_at)
            SELECT 'old-' || n, 'issue_comment', 'created', 1, 'task_created', \(age)
            FROM generate_series(1, \(third)) n
            """,
            """
            INSERT INTO tasks (id, installation_id, repository_id, repository_full_name, issue_number,
                requester_id, requester_login, agent, created_at)
            SELECT gen_random_uuid(), 1, 1, 'bench/old', n, 1, 'octocat', 'claude', now() - interval '131 days'
            FROM generate_series(1, 1000) n
            """,
            "UPDATE tasks SET status = 'cancelled', finished_at = now() - interval '130 days'",
            """
            INSERT INTO task_events (task_id, kind, message, created_at)
            SELECT finished.ids[1 + n % 1000], 'progress', 'agent: ' || repeat('working on it ', 8), \(age)
            FROM generate_series(1, \(events)) n, (SELECT array_agg(id) AS ids FROM tasks) finished
            """,
            """
            INSERT INTO github_side_effects (installation_id, kind, dedupe_key, payload, state, created_at,
                completed_at)
            SELECT 1, 'comment', 'old-' || n, jsonb_build_object('body', repeat('status ', 30)),
                CASE WHEN n % 10 = 0 THEN 'abandoned' ELSE 'done' END, \(age), \(age)
            FROM generate_series(1, \(third)) n
            """,
            "VACUUM ANALYZE webhook_deliveries, tasks, task_events, github_side_effects",
        ]
        for statement in statements {
            try await postgres.query(PostgresQuery(unsafeSQL: statement), logger: logger)
        }
        print(
            String(
                format:
                    "retention: seeded %d expired rows (%d webhook_deliveries, %d task_events, %d github_side_effects) in %.1f s",
                rows, third, events, third, seconds(ContinuousClock.now - start)))
    }
}
