import PostgresNIO

extension PostgresJobQueue {
    /// The retention sweep's batch for the jobs table: deletes at most `limit` jobs older than `horizon`
    /// that nobody will run, and answers how many went. A finished job deletes itself; what stays
    /// behind belongs to a task that ended without it, or is a control job that never ran. A job of a
    /// task still going, or one under a live lease, may still be needed and stays.
    static func pruneBatch(olderThan horizon: Duration, limit: Int) -> PostgresQuery {
        let age = interval(horizon)
        let finished = TaskStatus.terminal.map(\.rawValue).sorted()
        return """
            WITH gone AS (
                DELETE FROM jobs WHERE id IN (
                    SELECT jobs.id FROM jobs LEFT JOIN tasks ON tasks.id = jobs.task_id
                    WHERE jobs.created_at < now() - \(age)::interval
                        AND (jobs.lease_expires_at IS NULL OR jobs.lease_expires_at < now())
                        AND (jobs.task_id IS NULL OR (
                            tasks.status = ANY(\(finished)) AND tasks.finished_at < now() - \(age)::interval))
                    LIMIT \(limit) FOR UPDATE OF jobs SKIP LOCKED)
                RETURNING 1)
            SELECT count(*) FROM gone
            """
    }
}
