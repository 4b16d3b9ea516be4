extension Migration {
    static let v6Watchdog = Migration(
        version: 6, name: "watchdog",
        statements: [
            // Every action a watchdog takes, with who took it: an operator's audit trail, and the proof
            // that two watchdogs never act at once.
            """
            CREATE TABLE watchdog_actions (
                id bigserial PRIMARY KEY,
                holder text NOT NULL,
                sweep text NOT NULL,
                action text NOT NULL,
                subject text NOT NULL DEFAULT '',
                detail text NOT NULL DEFAULT '',
                at timestamptz NOT NULL DEFAULT clock_timestamp()
            )
            """,
            "CREATE INDEX watchdog_actions_at ON watchdog_actions (at)",
            // The sweeps look for running tasks by deadline and attempts by heartbeat.
            "CREATE INDEX tasks_active_deadline ON tasks (deadline_at) WHERE status IN ('dispatching', 'running')",
        ])
}
