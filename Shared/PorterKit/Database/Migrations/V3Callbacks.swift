extension Migration {
    static let v3Callbacks = Migration(
        version: 3, name: "worker callbacks",
        statements: [
            // The pull request's title comes from the issue, read once when the spec is built; the status
            // comment follows the worker's phase, at most every few seconds.
            """
            ALTER TABLE tasks ADD COLUMN issue_title text, ADD COLUMN progress_phase text,
                ADD COLUMN progress_noted_at timestamptz
            """,
            // What the worker reported, and the one answer every copy of that report gets.
            """
            ALTER TABLE task_attempts ADD COLUMN reported_status text, ADD COLUMN head_sha text,
                ADD COLUMN summary text, ADD COLUMN reply jsonb
            """,
            // A fast worker can report before its dispatcher has recorded it as running.
            """
            INSERT INTO task_status_transitions (from_status, to_status) VALUES ('dispatching', 'succeeded')
            ON CONFLICT DO NOTHING
            """,
        ])
}
