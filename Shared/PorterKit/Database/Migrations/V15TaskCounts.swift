extension Migration {
    static let v15TaskCounts = Migration(
        version: 15, name: "task counts",
        statements: [
            // How many tasks each repository has in each status, kept by the database as tasks come,
            // change status and go: the feed's counts read a few hundred rows, not every task.
            """
            CREATE TABLE task_counts (
                repository_id bigint NOT NULL,
                status text NOT NULL,
                tasks bigint NOT NULL,
                PRIMARY KEY (repository_id, status)
            )
            """,
            """
            INSERT INTO task_counts (repository_id, status, tasks)
            SELECT repository_id, status, count(*) FROM tasks GROUP BY repository_id, status
            """,
            // Both rows of a status change are written in one statement, in key order, so two
            // transactions moving tasks of one repository in opposite directions cannot deadlock.
            """
            CREATE FUNCTION tasks_count() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'INSERT' THEN
                    INSERT INTO task_counts AS c (repository_id, status, tasks) VALUES (NEW.repository_id, NEW.status, 1)
                    ON CONFLICT (repository_id, status) DO UPDATE SET tasks = c.tasks + 1;
                ELSIF TG_OP = 'DELETE' THEN
                    UPDATE task_counts SET tasks = tasks - 1
                    WHERE repository_id = OLD.repository_id AND status = OLD.status;
                ELSIF NEW.status IS DISTINCT FROM OLD.status THEN
                    INSERT INTO task_counts AS c (repository_id, status, tasks)
                    SELECT NEW.repository_id, change.status, change.delta
                    FROM (VALUES (OLD.status, -1), (NEW.status, 1)) AS change(status, delta)
                    ORDER BY change.status
                    ON CONFLICT (repository_id, status) DO UPDATE SET tasks = c.tasks + excluded.tasks;
                END IF;
                RETURN NULL;
            END
            $$
            """,
            """
            CREATE TRIGGER tasks_count AFTER INSERT OR DELETE OR UPDATE OF status ON tasks
                FOR EACH ROW EXECUTE FUNCTION tasks_count()
            """,
            // A person's own tasks on repositories they no longer reach are counted from here.
            "CREATE INDEX tasks_requester_repository ON tasks (requester_id, repository_id, status)",
        ])
}
