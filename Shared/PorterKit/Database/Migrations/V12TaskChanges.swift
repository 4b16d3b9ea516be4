extension Migration {
    static let v12TaskChanges = Migration(
        version: 12, name: "task changes",
        statements: [
            // Every change to a task takes the next number, so a page that lost its live connection asks
            // for what changed after the last number it saw.
            "CREATE SEQUENCE task_change_seq",
            "ALTER TABLE tasks ADD COLUMN change_seq bigint NOT NULL DEFAULT nextval('task_change_seq')",
            "CREATE INDEX tasks_change_seq ON tasks (change_seq)",
            """
            CREATE FUNCTION tasks_number_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW IS DISTINCT FROM OLD THEN
                    NEW.change_seq := nextval('task_change_seq');
                END IF;
                RETURN NEW;
            END
            $$
            """,
            """
            CREATE TRIGGER tasks_number_change BEFORE UPDATE ON tasks
                FOR EACH ROW EXECUTE FUNCTION tasks_number_change()
            """,
            // Whatever service changed the task, open pages hear it: the list line itself, so web-api
            // fans it out without a query per change. Free text is cut so the payload stays far below
            // NOTIFY's 8,000 bytes.
            """
            CREATE FUNCTION tasks_announce_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'UPDATE' AND NEW.change_seq = OLD.change_seq THEN
                    RETURN NULL;
                END IF;
                PERFORM pg_notify('porter_task_changes', json_build_object(
                    'seq', NEW.change_seq, 'id', NEW.id, 'repositoryID', NEW.repository_id,
                    'requesterID', NEW.requester_id, 'repository', NEW.repository_full_name,
                    'issueNumber', NEW.issue_number, 'issueTitle', left(NEW.issue_title, 300),
                    'requester', NEW.requester_login, 'agent', NEW.agent, 'model', NEW.model,
                    'status', NEW.status, 'statusReason', left(NEW.status_reason, 400),
                    'phase', left(NEW.progress_phase, 120), 'branch', left(NEW.branch, 255),
                    'pullRequestURL', left(NEW.pull_request_url, 300),
                    'createdAt', extract(epoch FROM NEW.created_at),
                    'startedAt', extract(epoch FROM NEW.started_at),
                    'finishedAt', extract(epoch FROM NEW.finished_at))::text);
                RETURN NULL;
            END
            $$
            """,
            """
            CREATE TRIGGER tasks_announce_change AFTER INSERT OR UPDATE ON tasks
                FOR EACH ROW EXECUTE FUNCTION tasks_announce_change()
            """,
            // A new event (a progress report with its log lines, a transition) names only its task: the
            // few pages watching that task read it.
            """
            CREATE FUNCTION task_events_announce() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_notify('porter_task_changes',
                    json_build_object('event', NEW.id, 'id', NEW.task_id)::text);
                RETURN NULL;
            END
            $$
            """,
            """
            CREATE TRIGGER task_events_announce AFTER INSERT ON task_events
                FOR EACH ROW EXECUTE FUNCTION task_events_announce()
            """,
        ])
}
