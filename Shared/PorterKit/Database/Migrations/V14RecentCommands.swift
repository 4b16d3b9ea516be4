extension Migration {
    static let v14RecentCommands = Migration(
        version: 14, name: "recent_commands",
        statements: [
            // A person's recent commands are read from the tasks they asked for, newest first.
            "CREATE INDEX tasks_requester_recent ON tasks (requester_id, created_at DESC)"
        ])
}
