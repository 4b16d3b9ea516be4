import Foundation
import Logging
import PorterKit
import PostgresNIO

/// `PostgresAgentStatsStore.stats` over `tasks` tasks created across a year on 50 repositories by 40
/// people (5 agents, 3 models, every outcome, pull requests opened and merged): the query's latency
/// for each window, as someone who sees every repository, ten of them, or only their own tasks.
struct AgentStatsBenchmark {
    let tasks: Int
    let runs: Int
    let logger: Logger

    func run(_ database: DatabaseURL) async throws {
        try await withPostgres(database, logger: logger, maximumConnections: 2) { postgres in
            try await Migrator(logger: logger).migrate(postgres)
            try await seed(postgres)
            let store = PostgresAgentStatsStore(client: postgres, logger: logger)
            let everyone = Array(Int64(1_000)..<1_050)
            for (who, repositories) in [("50 repositories", everyone), ("10", Array(everyone.prefix(10))), ("own", [])]
            {
                for window in AgentStatsWindow.allCases {
                    var times: [Double] = []
                    var counted = 0
                    for run in 0..<(runs + 3) {
                        let start = ContinuousClock.now
                        let lines = try await store.stats(userID: 3, repositories: repositories, window: window)
                        // The first few warm the cache and the connection.
                        if run >= 3 { times.append(seconds(ContinuousClock.now - start) * 1_000) }
                        counted = lines.reduce(0) { $0 + $1.runs }
                    }
                    times.sort()
                    print(
                        String(
                            format: "agent-stats: %@ %@: %d tasks counted, p50 %.1f ms, p95 %.1f ms, max %.1f ms",
                            who, window.rawValue, counted, percentile(times, 0.5), percentile(times, 0.95),
                            times.last ?? .nan))
                }
            }
        }
    }

    /// Inserted queued, as every task starts, then moved along the allowed transitions.
    func seed(_ postgres: PostgresClient) async throws {
        let start = ContinuousClock.now
        let statements = [
            "TRUNCATE tasks CASCADE",
            """
            INSERT INTO tasks (id, installation_id, repository_id, repository_full_name, issue_number, requester_id,
                requester_login, agent, model, issue_title, instructions, created_at, started_at)
            SELECT gen_random_uuid(), 1, 1000 + n % 50, 'bench/repo' || n % 50, n, 1 + n % 40, 'user' || n % 40,
                (ARRAY['claude', 'codex', 'opencode', 'amp', 'gemini'])[1 + n % 5],
                (ARRAY['opus', 'sonnet', NULL])[1 + n % 3], 'Issue ' || n, 'Fix the flaky login test',
                now() - make_interval(secs => n * 31536000.0 / \(tasks)),
                now() - make_interval(secs => n * 31536000.0 / \(tasks)) + interval '10 seconds'
            FROM generate_series(1, \(tasks)) n
            """,
            "UPDATE tasks SET status = 'dispatching' WHERE issue_number % 8 <> 7",
            "UPDATE tasks SET status = 'running' WHERE status = 'dispatching' AND issue_number % 8 <> 6",
            """
            UPDATE tasks SET
                status = (ARRAY['succeeded', 'succeeded', 'succeeded', 'failed', 'timed_out', 'cancelled'])[
                    1 + issue_number % 8],
                finished_at = started_at + make_interval(secs => 60 + issue_number % 900),
                pull_request_number = CASE WHEN issue_number % 8 < 3 THEN issue_number END,
                pull_request_state = CASE WHEN issue_number % 8 < 3 THEN
                    (ARRAY['open', 'closed', 'merged'])[1 + issue_number % 3] END
            WHERE status = 'running' AND issue_number % 8 < 6
            """,
            "VACUUM ANALYZE tasks",
        ]
        for statement in statements {
            try await postgres.query(PostgresQuery(unsafeSQL: statement), logger: logger)
        }
        print(String(format: "agent-stats: seeded %d tasks in %.1f s", tasks, seconds(ContinuousClock.now - start)))
    }
}
