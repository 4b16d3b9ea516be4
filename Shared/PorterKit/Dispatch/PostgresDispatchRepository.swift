import Foundation
import Logging
import NIOCore
import PostgresNIO

public struct PostgresDispatchRepository: DispatchRepository {
    /// The first key of the two-key advisory locks that serialise admissions per user.
    static let userLockSpace: Int32 = 0x5055  // "PU"

    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public func admit(taskID: UUID, maxActivePerUser: Int) async throws -> Admission {
        try await client.withTransaction(logger: logger) { connection in
            guard
                let (status, requesterID, repositoryID, issueNumber) = try await connection.query(
                    "SELECT status, requester_id, repository_id, issue_number FROM tasks WHERE id = \(taskID)",
                    logger: logger
                ).collect().first?.decode((String, Int64, Int64, Int).self)
            else { return .notFound }
            // Two dispatchers admitting tasks of one user must not both see a free slot: they queue
            // on this lock, held until commit. Distinct users rarely share a key; if they do, they
            // only wait for each other.
            let userKey = Int32(truncatingIfNeeded: requesterID % Int64(Int32.max))
            try await connection.query(
                "SELECT pg_advisory_xact_lock(\(Self.userLockSpace), \(userKey))", logger: logger)
            let current = try await connection.query(
                "SELECT status FROM tasks WHERE id = \(taskID) FOR UPDATE", logger: logger
            ).collect().first?.decode(String.self)
            guard current == TaskStatus.queued.rawValue else {
                return .notQueued(TaskStatus(rawValue: current ?? status) ?? .failed)
            }
            if let blocker = try await connection.query(
                """
                SELECT id FROM tasks
                WHERE repository_id = \(repositoryID) AND issue_number = \(issueNumber)
                    AND status IN ('dispatching', 'running') AND id <> \(taskID)
                """, logger: logger
            ).collect().first?.decode(UUID.self) {
                return .waitingForIssue(blockedBy: blocker)
            }
            let active =
                try await connection.query(
                    "SELECT count(*) FROM tasks WHERE requester_id = \(requesterID) AND status IN ('dispatching', 'running')",
                    logger: logger
                ).collect().first?.decode(Int.self) ?? 0
            guard active < maxActivePerUser else { return .waitingForUserSlot(active: active) }
            try await connection.query(
                "UPDATE tasks SET status = 'dispatching', status_reason = NULL WHERE id = \(taskID)", logger: logger)
            try await PostgresTaskRepository.appendEvent(
                on: connection, taskID: taskID, kind: "status", message: "dispatching", logger: logger)
            return .admitted
        }
    }

    public func beginAttempt(
        taskID: UUID, runtime: WorkerRuntime, flyApp: String?, inRequesterApp: Bool, token: TaskToken,
        sealedToken: SealedValue?, expiresAt: Date
    ) async throws -> (attempt: TaskAttempt, isNew: Bool) {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT 1 FROM tasks WHERE id = \(taskID) FOR UPDATE", logger: logger)
            if let row = try await connection.query(
                """
                SELECT \(unescaped: Self.attemptColumns) FROM task_attempts
                WHERE task_id = \(taskID) AND state = 'creating' ORDER BY number DESC LIMIT 1
                """, logger: logger
            ).collect().first {
                return (try Self.attempt(from: row), false)
            }
            let number =
                try await connection.query(
                    "SELECT coalesce(max(number), 0) + 1 FROM task_attempts WHERE task_id = \(taskID)", logger: logger
                ).collect().first?.decode(Int.self) ?? 1
            let row = try await connection.query(
                """
                INSERT INTO task_attempts (
                    task_id, number, runtime, machine_name, fly_app, requester_fly_app, token_hash, token_expires_at,
                    token_key_id, sealed_token)
                VALUES (\(taskID), \(number), \(runtime.rawValue), \(TaskAttempt.machineName(taskID: taskID, number: number)),
                    \(flyApp), \(inRequesterApp), \(ByteBuffer(bytes: token.hash)), \(expiresAt), \(sealedToken?.keyID),
                    \(sealedToken.map { ByteBuffer(bytes: $0.combined) }))
                RETURNING \(unescaped: Self.attemptColumns)
                """, logger: logger
            ).collect().first
            guard let row else { throw RepositoryError.missingRow("task_attempts insert") }
            try await PostgresTaskRepository.appendEvent(
                on: connection, taskID: taskID, attempt: number, kind: "attempt", message: "attempt \(number) created",
                logger: logger)
            return (try Self.attempt(from: row), true)
        }
    }

    public func recordMachine(taskID: UUID, number: Int, machineID: String) async throws {
        try await client.query(
            """
            UPDATE task_attempts SET machine_id = \(machineID), state = 'created'
            WHERE task_id = \(taskID) AND number = \(number)
            """, logger: logger)
    }

    static let attemptColumns = """
        task_id, number, runtime, machine_name, machine_id, fly_app, token_expires_at, state, token_key_id, sealed_token,
        requester_fly_app
        """

    static func attempt(from row: PostgresRow) throws -> TaskAttempt {
        let (taskID, number, runtime, name, machineID, flyApp, expires, state, keyID, sealed, inRequesterApp) =
            try row.decode(
                (UUID, Int, String, String, String?, String?, Date, String, String?, ByteBuffer?, Bool?).self)
        var sealedToken: SealedValue?
        if let keyID, let sealed { sealedToken = SealedValue(keyID: keyID, combined: Array(buffer: sealed)) }
        return TaskAttempt(
            taskID: taskID, number: number, runtime: WorkerRuntime(rawValue: runtime) ?? .fly, machineName: name,
            machineID: machineID, flyApp: flyApp, tokenExpiresAt: expires, state: state, sealedToken: sealedToken,
            inRequesterApp: inRequesterApp)
    }
}
