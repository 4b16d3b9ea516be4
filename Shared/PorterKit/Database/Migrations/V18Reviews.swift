extension Migration {
    static let v18Reviews = Migration(
        version: 18, name: "reviews",
        statements: [
            // A pull request closed from Porter's review page is a rejection of the agent's work: who
            // closed it, when and why, for the analytics. A pull request closed on GitHub has none of it.
            """
            ALTER TABLE tasks
                ADD COLUMN rejected_at timestamptz,
                ADD COLUMN rejected_by text,
                ADD COLUMN rejection_reason text
            """,
            // Rejections per agent, for the analytics: few, so a partial index finds them in a window.
            "CREATE INDEX tasks_rejected ON tasks (created_at) WHERE rejected_at IS NOT NULL",
            // The review queue: the open pull requests Porter opened, newest first, per repository.
            """
            CREATE INDEX tasks_open_pull_requests ON tasks (repository_id, finished_at DESC)
                WHERE kind = 'issue' AND pull_request_number IS NOT NULL
                    AND coalesce(pull_request_state, 'open') = 'open'
            """,
        ])
}
