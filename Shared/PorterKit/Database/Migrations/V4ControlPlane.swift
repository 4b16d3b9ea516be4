extension Migration {
    static let v4ControlPlane = Migration(
        version: 4, name: "control plane",
        statements: [
            // A dispatch step that keeps failing ends its task after a cap on failures or a wall-clock
            // budget; waiting for a slot is not a failure and counts toward neither.
            "ALTER TABLE jobs ADD COLUMN failures integer NOT NULL DEFAULT 0, ADD COLUMN failing_since timestamptz",
            // An infrastructure failure (the worker could not clone, push or get its spec) gives the task
            // a new attempt: it goes back to dispatching with the same status comment.
            """
            INSERT INTO task_status_transitions (from_status, to_status) VALUES ('running', 'dispatching')
            ON CONFLICT DO NOTHING
            """,
            // Why an attempt ended when its worker did not say: stopped, lost, superseded.
            "ALTER TABLE task_attempts ADD COLUMN ended_reason text",
        ])
}
