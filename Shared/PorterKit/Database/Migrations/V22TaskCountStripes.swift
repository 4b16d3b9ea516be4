extension Migration {
    static let v22TaskCountStripes = Migration(
        version: 22, name: "task count stripes",
        statements: [
            // Migration 15 kept one row per repository and status, so every task created on a
            // repository updated the same row, and concurrent commands on one repository waited for
            // each other's commit (pgbench, the gateway's statement at 16 clients: 53 ms per statement
            // instead of 3.5). Each server process now adds its changes to a stripe of its own (its
            // process id modulo 16), so two connections writing at once rarely meet; a stripe holds
            // the net change its processes made and may be negative; readers add the stripes up.
            "LOCK TABLE tasks IN SHARE ROW EXCLUSIVE MODE",
            "DROP TRIGGER tasks_count ON tasks",
            "DROP TABLE task_counts",
            """
            CREATE TABLE task_counts (
                repository_id bigint NOT NULL,
                status text NOT NULL,
                stripe smallint NOT NULL,
                tasks bigint NOT NULL,
                PRIMARY KEY (repository_id, status, stripe)
            )
            """,
            """
            INSERT INTO task_counts (repository_id, status, stripe, tasks)
            SELECT repository_id, status, 0, count(*) FROM tasks GROUP BY repository_id, status
            """,
            // A status change writes its two rows (one stripe, two statuses) in one statement, in key
            // order, so two transactions moving tasks in opposite directions cannot deadlock.
            """
            CREATE OR REPLACE FUNCTION tasks_count() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE
                mine smallint := pg_backend_pid() % 16;
            BEGIN
                IF TG_OP = 'UPDATE' AND NEW.status IS NOT DISTINCT FROM OLD.status THEN
                    RETURN NULL;
                END IF;
                INSERT INTO task_counts AS c (repository_id, status, stripe, tasks)
                SELECT change.repository_id, change.status, mine, change.delta
                FROM (
                    SELECT NEW.repository_id, NEW.status, 1 WHERE TG_OP <> 'DELETE'
                    UNION ALL
                    SELECT OLD.repository_id, OLD.status, -1 WHERE TG_OP <> 'INSERT'
                ) AS change(repository_id, status, delta)
                ORDER BY change.repository_id, change.status
                ON CONFLICT (repository_id, status, stripe) DO UPDATE SET tasks = c.tasks + excluded.tasks;
                RETURN NULL;
            END
            $$
            """,
            """
            CREATE TRIGGER tasks_count AFTER INSERT OR DELETE OR UPDATE OF status ON tasks
                FOR EACH ROW EXECUTE FUNCTION tasks_count()
            """,
        ])
}
