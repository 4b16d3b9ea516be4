extension Migration {
    static let v20JobClaimOrder = Migration(
        version: 20, name: "job_claim_order",
        statements: [
            // A claim takes the first runnable jobs in (priority DESC, id) order across the kinds it
            // serves. `jobs_claimable` leads with kind and puts run_after before id, so it cannot give
            // that order for several kinds: every claim read and sorted the whole queue (17 ms at 20,000
            // jobs). Walking this index, a claim reads the jobs it takes and the few in flight or
            // waiting before them (0.5 ms).
            "CREATE INDEX jobs_claim_order ON jobs (priority DESC, id)",
            // The planner walks it only when it knows the queue is long: a queue analyzed while empty
            // and then flooded is read whole and sorted until the next analyze. The queue's size swings,
            // so it is analyzed after every thousand changes rather than after a tenth of its size.
            """
            ALTER TABLE jobs SET (autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 1000,
                autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 2000)
            """,
        ])
}
