import Foundation
import PostgresNIO

extension WatchdogStore {
    /// Running tasks whose status comment was last edited more than `cadence` ago and has no edit
    /// waiting, by installation, the longest untouched first.
    func staleStatusComments(cadence: Duration, limit: Int) async throws -> [(Int64, [UUID])] {
        var byInstallation: [(Int64, [UUID])] = []
        let rows = try await client.query(
            """
            SELECT t.installation_id, t.id FROM tasks AS t
            JOIN github_side_effects AS e ON e.dedupe_key = 'task:' || t.id::text || ':status'
            WHERE t.status = 'running' AND e.state = 'done'
                AND e.completed_at < now() - \(PostgresJobQueue.interval(cadence))::interval
            ORDER BY e.completed_at LIMIT \(limit)
            """, logger: logger)
        for try await (installation, id) in rows.decode((Int64, UUID).self) {
            if let index = byInstallation.firstIndex(where: { $0.0 == installation }) {
                byInstallation[index].1.append(id)
            } else {
                byInstallation.append((installation, [id]))
            }
        }
        return byInstallation
    }

    /// Queues refreshed status comments for the tasks `ids` of one installation, in order: each in
    /// the installation's next refresh slot, `gap` after the one before, and none in a slot more than
    /// `horizon` ahead (the next round takes those). Each task is read under its lock, and skipped
    /// when it stopped running or its comment got an edit meanwhile: a refresh never overwrites a
    /// waiting phase change or a final comment. Returns how many were queued.
    func scheduleStatusRefreshes(
        installationID: Int64, ids: [UUID], cadence: Duration, gap: Duration, horizon: Duration,
        render: @Sendable (PorterTask, _ phase: String?, _ note: String?, _ at: Date) -> [TaskNotice]
    ) async throws -> Int {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query(
                """
                INSERT INTO status_refresh_slots (installation_id, last_slot) VALUES (\(installationID), '-infinity')
                ON CONFLICT (installation_id) DO NOTHING
                """, logger: logger)
            guard
                let (first, end) = try await connection.query(
                    """
                    SELECT greatest(now(), last_slot + \(PostgresJobQueue.interval(gap))::interval),
                        now() + \(PostgresJobQueue.interval(horizon))::interval
                    FROM status_refresh_slots WHERE installation_id = \(installationID) FOR UPDATE
                    """, logger: logger
                ).collect().first?.decode((Date, Date).self)
            else { return 0 }
            let step = gap.seconds
            var slot = first
            var queued = 0
            for id in ids where slot <= end {
                guard
                    let row = try await connection.query(
                        """
                        SELECT \(unescaped: PostgresTaskRepository.columns), progress_phase, progress_message
                        FROM tasks WHERE id = \(id) AND status = 'running' FOR UPDATE
                        """, logger: logger
                    ).collect().first,
                    try await !connection.query(
                        """
                        SELECT id FROM github_side_effects
                        WHERE dedupe_key = \("task:\(id.uuidString.lowercased()):status") AND state = 'done'
                            AND completed_at < now() - \(PostgresJobQueue.interval(cadence))::interval
                        FOR UPDATE
                        """, logger: logger
                    ).collect().isEmpty
                else { continue }
                let task = try PostgresTaskRepository.task(from: row)
                let columns = row.makeRandomAccess()
                let notices = render(
                    task, try columns["progress_phase"].decode(String?.self),
                    try columns["progress_message"].decode(String?.self), slot
                ).map { notice in
                    var notice = notice
                    notice.notBefore = slot
                    return notice
                }
                try await PostgresSideEffectQueue.enqueue(notices, for: task, on: connection, logger: logger)
                queued += 1
                try await connection.query(
                    "UPDATE status_refresh_slots SET last_slot = \(slot) WHERE installation_id = \(installationID)",
                    logger: logger)
                slot += step
            }
            return queued
        }
    }
}
