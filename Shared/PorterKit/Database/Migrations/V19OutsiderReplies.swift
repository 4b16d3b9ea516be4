extension Migration {
    static let v19OutsiderReplies = Migration(
        version: 19, name: "outsider_replies",
        statements: [
            // The one reply a day an issue may get for commenters without write access, all of them
            // together: the first side effect to insert the row for the day (UTC, on the
            // database's clock) may post, every other is withheld. The primary key decides between
            // deliverers racing on several replicas.
            """
            CREATE TABLE outsider_replies (
                repository_id bigint NOT NULL,
                issue_number integer NOT NULL,
                day date NOT NULL,
                dedupe_key text NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (repository_id, issue_number, day)
            )
            """
        ])
}
