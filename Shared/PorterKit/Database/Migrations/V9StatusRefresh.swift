extension Migration {
    static let v9StatusRefresh = Migration(
        version: 9, name: "status_refresh",
        statements: [
            // The worker's latest one-line progress, shown on the status comment at its next edit.
            "ALTER TABLE tasks ADD COLUMN progress_message text",
            // When each installation's last status refresh is due: refreshes are spaced 60 s / budget
            // apart per installation, so they never crowd replies and labels out of GitHub's pacing.
            """
            CREATE TABLE status_refresh_slots (
                installation_id bigint PRIMARY KEY,
                last_slot timestamptz NOT NULL
            )
            """,
            "CREATE INDEX tasks_running ON tasks (installation_id) WHERE status = 'running'",
        ])
}
