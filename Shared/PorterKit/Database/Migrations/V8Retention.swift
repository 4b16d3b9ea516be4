extension Migration {
    static let v8Retention = Migration(
        version: 8, name: "retention",
        statements: [
            // The retention sweep deletes the oldest rows in small batches; without these indexes every
            // batch would scan the whole table. Webhook deliveries already have one on received_at.
            "CREATE INDEX task_events_created_at ON task_events (created_at)",
            """
            CREATE INDEX github_side_effects_finished ON github_side_effects (completed_at)
                WHERE state <> 'pending'
            """,
            "CREATE INDEX sessions_expires_at ON sessions (expires_at)",
            "CREATE INDEX sessions_revoked_at ON sessions (revoked_at) WHERE revoked_at IS NOT NULL",
        ])
}
