extension Migration {
    static let v13PullRequestOutcomes = Migration(
        version: 13, name: "pull request outcomes",
        statements: [
            // What became of the pull request a task opened, from GitHub's pull_request events. A task
            // whose pull request was opened before this version has no state until its next event.
            // pull_request_updated_at is GitHub's time of the newest event applied: a late delivery of an
            // older one changes nothing.
            """
            ALTER TABLE tasks
                ADD COLUMN pull_request_state text CHECK (pull_request_state IN ('open', 'closed', 'merged')),
                ADD COLUMN pull_request_merged_at timestamptz,
                ADD COLUMN pull_request_closed_at timestamptz,
                ADD COLUMN pull_request_draft boolean,
                ADD COLUMN pull_request_updated_at timestamptz
            """,
            // The gateway finds a pull request's task by repository and number on every pull_request event.
            """
            CREATE INDEX tasks_pull_request ON tasks (repository_id, pull_request_number)
                WHERE pull_request_number IS NOT NULL
            """,
            // What a person may see is their own tasks or those on repositories they reach: with these,
            // agent figures and task counts over a window read only those tasks (a bitmap of both),
            // rather than every task in the window or the whole table.
            "CREATE INDEX tasks_requester_created ON tasks (requester_id, created_at)",
            "CREATE INDEX tasks_repository_created ON tasks (repository_id, created_at)",
        ])
}
