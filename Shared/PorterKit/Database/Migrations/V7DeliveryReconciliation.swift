extension Migration {
    static let v7DeliveryReconciliation = Migration(
        version: 7, name: "delivery reconciliation",
        statements: [
            // One row per webhook GUID the watchdog asked GitHub to redeliver, so a missed delivery is
            // asked for once across rounds and restarts. `github_delivery_id` is the newest entry of
            // GitHub's log for the GUID when it asked: a newer entry is the redelivery's own attempt.
            // `refused` keeps why GitHub would not redeliver it, and then it is never asked for again.
            """
            CREATE TABLE webhook_redeliveries (
                guid text PRIMARY KEY,
                github_delivery_id bigint NOT NULL,
                attempts integer NOT NULL DEFAULT 1,
                refused text,
                requested_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            "CREATE INDEX webhook_redeliveries_requested_at ON webhook_redeliveries (requested_at)",
        ])
}
