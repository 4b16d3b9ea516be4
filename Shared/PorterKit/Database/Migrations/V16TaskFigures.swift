extension Migration {
    static let v16TaskFigures = Migration(
        version: 16, name: "task figures",
        statements: [
            // A finished task's duration, written once by the database, so figures over many tasks read
            // it from an index instead of computing it from three timestamps of every row.
            """
            ALTER TABLE tasks ADD COLUMN duration_seconds float8 GENERATED ALWAYS AS (
                CASE WHEN finished_at IS NOT NULL
                    THEN date_part('epoch', finished_at - coalesce(started_at, created_at)) END
            ) STORED
            """,
            // What the history's totals, stat cards and agent figures read, carried in the index: counting
            // tens of thousands of visible tasks walks the index alone, never the table. One index for the
            // tasks on the repositories a person reaches, one for the tasks they asked for themselves.
            """
            CREATE INDEX tasks_repository_figures ON tasks (repository_id, created_at)
                INCLUDE (status, agent, model, duration_seconds, pull_request_number, pull_request_state,
                    repository_full_name)
            """,
            """
            CREATE INDEX tasks_requester_figures ON tasks (requester_id, created_at)
                INCLUDE (repository_id, status, agent, model, duration_seconds, pull_request_number,
                    pull_request_state, repository_full_name)
            """,
            // Their keys and more: what these answered, the two above answer.
            "DROP INDEX tasks_repository_created",
            "DROP INDEX tasks_requester_created",
            "DROP INDEX tasks_requester_recent",
            "DROP INDEX tasks_requester_repository",
            // Title search by trigrams where the server has pg_trgm and the role may add it (it is a
            // trusted extension: the database's owner may); elsewhere search still works, by scanning.
            """
            DO $$
            BEGIN
                IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') THEN
                    BEGIN
                        CREATE EXTENSION IF NOT EXISTS pg_trgm;
                        CREATE INDEX tasks_title_search ON tasks USING gin (issue_title gin_trgm_ops);
                    EXCEPTION WHEN insufficient_privilege THEN
                        RAISE NOTICE 'pg_trgm not added (%): title search scans', SQLERRM;
                    END;
                END IF;
            END
            $$
            """,
        ])
}
