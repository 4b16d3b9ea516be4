extension Migration {
    static let v21TaskOutcomes = Migration(
        version: 21, name: "task outcomes",
        statements: [
            // How a task ended, as a small number the database keeps with the status: 1 succeeded,
            // 2 failed, 3 timed out, 4 cancelled, NULL while it has not ended. Figures over tens of
            // thousands of tasks tested the status text against four words for every task (most of the
            // stat cards' time after the index walk); a null test and an integer comparison are cheap.
            """
            ALTER TABLE tasks ADD COLUMN outcome smallint GENERATED ALWAYS AS (
                CASE status WHEN 'succeeded' THEN 1 WHEN 'failed' THEN 2 WHEN 'timed_out' THEN 3
                    WHEN 'cancelled' THEN 4 END
            ) STORED
            """,
            // The stat cards read three columns: an index carrying only those is walked and unpacked at
            // less cost than the figures indexes, whose text columns every entry unpacks too.
            """
            CREATE INDEX tasks_repository_stats ON tasks (repository_id, created_at)
                INCLUDE (duration_seconds, outcome, pull_request_number)
            """,
            """
            CREATE INDEX tasks_requester_stats ON tasks (requester_id, created_at)
                INCLUDE (repository_id, duration_seconds, outcome, pull_request_number)
            """,
            // The figures indexes of migration 16 again, with the outcome, for the agents' table and the
            // cards of a filter the narrow indexes cannot answer (agent, repository, status).
            "DROP INDEX tasks_repository_figures",
            "DROP INDEX tasks_requester_figures",
            """
            CREATE INDEX tasks_repository_figures ON tasks (repository_id, created_at)
                INCLUDE (duration_seconds, outcome, pull_request_number, status, agent, model,
                    pull_request_state, repository_full_name)
            """,
            """
            CREATE INDEX tasks_requester_figures ON tasks (requester_id, created_at)
                INCLUDE (repository_id, duration_seconds, outcome, pull_request_number, status, agent, model,
                    pull_request_state, repository_full_name)
            """,
        ])
}
