extension Migration {
    static let v17FollowUps = Migration(
        version: 17, name: "follow-ups",
        statements: [
            // A follow-up is a task on a pull request's number that adds commits to it rather than opening
            // one: issue_number is the pull request's number, so the one-active-task-per-issue index also
            // keeps one follow-up at a time per pull request. follow_up_of is the task that opened the pull
            // request; trigger_comment_kind says where the command's reaction goes.
            """
            ALTER TABLE tasks
                ADD COLUMN kind text NOT NULL DEFAULT 'issue' CHECK (kind IN ('issue', 'follow_up')),
                ADD COLUMN follow_up_of uuid REFERENCES tasks (id) ON DELETE SET NULL,
                ADD COLUMN trigger_comment_kind text
                    CHECK (trigger_comment_kind IN ('issue_comment', 'review_comment', 'review'))
            """,
            "CREATE INDEX tasks_follow_up_of ON tasks (follow_up_of) WHERE follow_up_of IS NOT NULL",
            // Where on the pull request the follow-up was asked for (from the webhook payload), then the
            // branches its spec was built on, then what the worker reported when it pushed.
            """
            CREATE TABLE task_follow_ups (
                task_id uuid PRIMARY KEY REFERENCES tasks (id) ON DELETE CASCADE,
                source text NOT NULL CHECK (source IN ('conversation', 'review_comment', 'review')),
                review_id bigint,
                comment_id bigint,
                path text,
                start_line integer,
                line integer,
                side text,
                diff_hunk text,
                head_ref text,
                head_sha text,
                base_ref text,
                side_branch text,
                sequence integer,
                rebased_onto text,
                conflict_files text[]
            )
            """,
        ])
}
