import Logging
import PostgresNIO

extension PostgresJobQueue {
    /// Makes the waiting dispatch jobs of `requesterID`'s queued tasks runnable now: they signed in or
    /// added a key, so a task waiting for them starts without waiting for its next poll.
    public func wakeRequester(_ requesterID: Int64) async throws {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query(
                """
                UPDATE jobs SET run_after = now()
                WHERE kind = 'dispatch' AND run_after > now() AND lease_owner IS NULL AND task_id IN (
                    SELECT id FROM tasks WHERE status = 'queued' AND requester_id = \(requesterID))
                """, logger: logger)
            try await connection.query("SELECT pg_notify(\(Self.channel), 'dispatch')", logger: logger)
        }
    }
}
