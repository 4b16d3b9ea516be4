extension Migration {
    static let v2DispatchState = Migration(
        version: 2, name: "dispatch state",
        statements: [
            // The per-task token sealed with the encryption keyring: a dispatcher that takes over an
            // attempt after a crash launches its worker with the same token the attempt row vouches for.
            "ALTER TABLE task_attempts ADD COLUMN sealed_token bytea, ADD COLUMN token_key_id text",
            """
            ALTER TABLE tasks ADD COLUMN authorized_permission text, ADD COLUMN authorized_at timestamptz,
                ADD COLUMN key_source text, ADD COLUMN prompt text
            """,
            // A side effect re-enqueued under the same dedupe key replaces the pending one (the status
            // comment and labels follow the task's latest state); the revision tells a deliverer that
            // the payload changed while it was delivering the old one.
            "ALTER TABLE github_side_effects ADD COLUMN revision integer NOT NULL DEFAULT 0",
        ])
}
