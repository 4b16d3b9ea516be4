import Foundation
import Logging
import PostgresNIO

/// The one way tasks are cancelled, whatever asked: `@porter stop`, the issue closed, a repository
/// or the installation removed. Inside the caller's transaction, a queued task ends `cancelled` at
/// once; an active one is marked, so its worker's next heartbeat tells it to stop and report. Each
/// gets a `cancel` job: the dispatcher gives a queued task's status comment its final form, and
/// stops and destroys a worker that has not stopped by itself within the grace period.
public enum TaskCancellation {
    /// Which tasks to cancel.
    public enum Scope: Sendable, Equatable {
        case tasks([UUID])
        case issue(repositoryID: Int64, number: Int)
        case repositories(installationID: Int64, [Int64])
        case installation(Int64)
    }

    /// What a cancellation did: tasks ended now, and active tasks asked to stop.
    public struct Outcome: Sendable, Equatable {
        public var cancelled: [UUID] = []
        public var stopping: [UUID] = []
    }

    /// Cancels the unfinished tasks in `scope` for `reason` ("stopped by @alice", "the issue was closed").
    @discardableResult
    public static func request(
        _ scope: Scope, reason: String, on connection: PostgresConnection, logger: Logger
    ) async throws -> Outcome {
        // One statement serves every scope: the parts that do not apply are bound as NULL and match nothing.
        var ids: [UUID]?
        var issue: (repository: Int64?, number: Int?) = (nil, nil)
        var installation: Int64?
        var repositories: [Int64]?
        switch scope {
        case .tasks(let list): ids = list
        case .issue(let repository, let number): issue = (repository, number)
        case .repositories(let id, let list): (installation, repositories) = (id, list)
        case .installation(let id): installation = id
        }
        // Locked in one statement, so a dispatcher admitting one of them waits for this transaction.
        let found = try await connection.query(
            """
            SELECT id, status FROM tasks
            WHERE status IN ('queued', 'dispatching', 'running')
                AND (id = ANY(\(ids ?? [])::uuid[])
                    OR (repository_id = \(issue.repository) AND issue_number = \(issue.number))
                    OR (installation_id = \(installation)
                        AND (\(repositories == nil) OR repository_id = ANY(\(repositories ?? [])::bigint[]))))
            ORDER BY created_at
            FOR UPDATE
            """, logger: logger
        ).collect().map { try $0.decode((UUID, String).self) }
        let queued = found.filter { $0.1 == TaskStatus.queued.rawValue }.map(\.0)
        let active = found.filter { $0.1 != TaskStatus.queued.rawValue }.map(\.0)
        var outcome = Outcome()
        if !queued.isEmpty {
            outcome.cancelled = try await connection.query(
                """
                UPDATE tasks SET status = 'cancelled', status_reason = \(reason)
                WHERE id = ANY(\(queued)) AND status = 'queued'
                RETURNING id
                """, logger: logger
            ).collect().map { try $0.decode(UUID.self) }
        }
        if !active.isEmpty {
            outcome.stopping = try await connection.query(
                """
                UPDATE tasks SET cancel_requested_at = now(), status_reason = \(reason)
                WHERE id = ANY(\(active)) AND cancel_requested_at IS NULL
                RETURNING id
                """, logger: logger
            ).collect().map { try $0.decode(UUID.self) }
        }
        for id in outcome.cancelled {
            try await PostgresTaskRepository.appendEvent(
                on: connection, taskID: id, kind: "status", message: "cancelled: \(reason)", logger: logger)
            try await PostgresJobQueue.enqueue(
                .cancel(id, CancelOrder(reason: reason, finalizeOnly: true)), on: connection, logger: logger)
        }
        for id in outcome.stopping {
            try await PostgresTaskRepository.appendEvent(
                on: connection, taskID: id, kind: "cancel_requested", message: reason, logger: logger)
            try await PostgresJobQueue.enqueue(
                .cancel(id, CancelOrder(reason: reason, finalizeOnly: false)), on: connection, logger: logger)
        }
        return outcome
    }
}
