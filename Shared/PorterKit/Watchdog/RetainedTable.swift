import PostgresNIO

/// A table the retention sweep prunes, and the statement that deletes one batch of its expired rows.
public enum RetainedTable: String, CaseIterable, Sendable {
    case webhookDeliveries = "webhook_deliveries"
    case taskEvents = "task_events"
    case sideEffects = "github_side_effects"
    case jobs
    case sessions

    /// How long this table's rows are kept.
    public func horizon(in settings: RetentionSettings) -> Duration {
        switch self {
        case .webhookDeliveries: settings.deliveries
        case .taskEvents: settings.taskEvents
        case .sideEffects: settings.sideEffects
        case .jobs: settings.jobs
        case .sessions: settings.sessions
        }
    }

    /// Deletes at most `limit` rows older than `horizon` and answers how many went. One statement, so one
    /// short transaction. SKIP LOCKED leaves rows someone else holds (a claimer, a deliverer) for a later
    /// round instead of waiting on them, and the horizon is measured on the database's clock.
    func deleteBatch(olderThan horizon: Duration, limit: Int) -> PostgresQuery {
        let age = PostgresJobQueue.interval(horizon)
        switch self {
        case .webhookDeliveries:
            return """
                WITH gone AS (
                    DELETE FROM webhook_deliveries WHERE delivery_id IN (
                        SELECT delivery_id FROM webhook_deliveries WHERE received_at < now() - \(age)::interval
                        LIMIT \(limit) FOR UPDATE SKIP LOCKED)
                    RETURNING 1)
                SELECT count(*) FROM gone
                """
        case .taskEvents:
            return """
                WITH gone AS (
                    DELETE FROM task_events WHERE id IN (
                        SELECT id FROM task_events WHERE created_at < now() - \(age)::interval
                        LIMIT \(limit) FOR UPDATE SKIP LOCKED)
                    RETURNING 1)
                SELECT count(*) FROM gone
                """
        case .sideEffects:
            // Pending effects are work still owed to GitHub, whatever their age.
            return """
                WITH gone AS (
                    DELETE FROM github_side_effects WHERE id IN (
                        SELECT id FROM github_side_effects
                        WHERE state <> 'pending' AND completed_at < now() - \(age)::interval
                        LIMIT \(limit) FOR UPDATE SKIP LOCKED)
                    RETURNING 1)
                SELECT count(*) FROM gone
                """
        case .jobs:
            // Kept with the queue, the jobs table's one writer.
            return PostgresJobQueue.pruneBatch(olderThan: horizon, limit: limit)
        case .sessions:
            return """
                WITH gone AS (
                    DELETE FROM sessions WHERE id_hash IN (
                        SELECT id_hash FROM sessions
                        WHERE expires_at < now() - \(age)::interval OR revoked_at < now() - \(age)::interval
                        LIMIT \(limit) FOR UPDATE SKIP LOCKED)
                    RETURNING 1)
                SELECT count(*) FROM gone
                """
        }
    }
}
