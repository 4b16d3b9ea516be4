import Foundation
import Logging
import PostgresNIO

/// Where a run command becomes a task, whoever sent it: a comment through the webhook gateway, or the
/// web app's dispatch form. Both store the same queued row and the same dispatch job, so the
/// dispatcher authorizes, acknowledges and starts them alike.
public enum TaskIntake {
    /// Stores `order` as a queued task with its dispatch job, inside the caller's transaction, under
    /// `key`, which the caller has found unused. An order that names no agent takes the requester's
    /// default from settings, else the fallback; a model comes from settings only with the default
    /// agent. An order made on a pull request is a follow-up, stored with where on the pull request it
    /// was made. Answers the new task's id.
    static func insert(
        _ order: TaskOrder, key: String, on connection: PostgresConnection, logger: Logger
    ) async throws -> UUID {
        guard let id = try await store(order, key: key, gate: .key, on: connection, logger: logger) else {
            throw RepositoryError.missingRow("tasks insert")
        }
        return id
    }

    /// Records `delivery` and stores `order` as `insert` does, in the caller's transaction; nil, with
    /// nothing written, when the delivery was recorded before.
    static func insert(
        _ order: TaskOrder, delivery: IncomingDelivery, on connection: PostgresConnection, logger: Logger
    ) async throws -> UUID? {
        try await store(order, key: delivery.id, gate: .delivery(delivery), on: connection, logger: logger)
    }

    private static func store(
        _ order: TaskOrder, key: String, gate: Gate, on connection: PostgresConnection, logger: Logger
    ) async throws -> UUID? {
        var openedBy: UUID?
        if order.followUp != nil {
            // The task that opened the pull request, found the way pull_request events find it; none
            // when Porter did not open it (the dispatcher decides whether that may run).
            openedBy = try await connection.query(
                """
                SELECT id FROM tasks
                WHERE repository_id = \(order.context.issue.repositoryID)
                    AND pull_request_number = \(order.context.issue.number)
                ORDER BY created_at DESC, id DESC LIMIT 1
                """, logger: logger
            ).collect().first?.decode(UUID.self)
        }
        let stored = try await connection.query(
            Self.query(order, key: key, gate: gate, followUpOf: openedBy), logger: logger
        ).collect().first?.decode((UUID, Int64).self)
        guard let (id, _) = stored else { return nil }
        if let followUp = order.followUp {
            try await PostgresTaskRepository.insertFollowUp(followUp, taskID: id, on: connection, logger: logger)
        }
        return id
    }
}

/// What storing a command from the web app did.
public struct TaskReceipt: Sendable, Equatable {
    public var taskID: UUID
    public var repository: String
    public var issueNumber: Int
    public var status: TaskStatus
    /// An unfinished task on the same issue, which this one waits behind (the dispatcher starts one
    /// task per issue at a time), or nil.
    public var waitingFor: OtherTask?
    /// False when the request was stored before (a form sent twice) and this is its task.
    public var created: Bool

    public struct OtherTask: Sendable, Equatable {
        public var id: UUID
        public var status: TaskStatus
    }
}

/// Run commands from the web app, stored through `TaskIntake` as a comment's are. Each request carries
/// a key of its own (in place of a webhook delivery id), so the same request sent twice makes one task.
public struct PostgresTaskIntake: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// The key a web request's task is stored under.
    public static func requestKey(_ requestID: UUID) -> String { "web-dispatch:\(requestID.uuidString.lowercased())" }

    /// The task stored for `requestID` when `requesterID` asked for it, nil when there is none; throws
    /// `requestTaken` when the key belongs to someone else's task.
    public func existing(requestID: UUID, requesterID: Int64) async throws -> TaskReceipt? {
        try await client.withConnection { connection in
            try await Self.existing(
                key: Self.requestKey(requestID), requesterID: requesterID, on: connection, logger: logger)
        }
    }

    /// Stores `order` as a new task, or answers with the task already stored for `requestID`.
    public func start(_ order: TaskOrder, requestID: UUID) async throws -> TaskReceipt {
        let key = Self.requestKey(requestID)
        do {
            return try await client.withTransaction(logger: logger) { connection in
                if let earlier = try await Self.existing(
                    key: key, requesterID: order.context.requester.id, on: connection, logger: logger)
                {
                    return earlier
                }
                let taskID = try await TaskIntake.insert(order, key: key, on: connection, logger: logger)
                let issue = order.context.issue
                return TaskReceipt(
                    taskID: taskID, repository: issue.repositoryFullName, issueNumber: issue.number, status: .queued,
                    waitingFor: try await Self.unfinished(
                        on: issue, besides: taskID, connection: connection, logger: logger),
                    created: true)
            }
        } catch let error where error.hasSQLState(.uniqueViolation) {
            // The same request, sent twice at once: the other copy committed first.
            let earlier = try await existing(requestID: requestID, requesterID: order.context.requester.id)
            guard let earlier else { throw error }
            return earlier
        }
    }

    static func existing(
        key: String, requesterID: Int64, on connection: PostgresConnection, logger: Logger
    ) async throws -> TaskReceipt? {
        guard
            let (id, requester, status, repositoryID, repository, number) = try await connection.query(
                """
                SELECT id, requester_id, status, repository_id, repository_full_name, issue_number
                FROM tasks WHERE delivery_id = \(key)
                """, logger: logger
            ).collect().first?.decode((UUID, Int64, String, Int64, String, Int).self)
        else { return nil }
        guard requester == requesterID else { throw TaskIntakeError.requestTaken }
        let issue = IssueReference(
            installationID: 0, repositoryID: repositoryID, repositoryFullName: repository, number: number)
        return TaskReceipt(
            taskID: id, repository: repository, issueNumber: number, status: TaskStatus(rawValue: status) ?? .queued,
            waitingFor: try await unfinished(on: issue, besides: id, connection: connection, logger: logger),
            created: false)
    }

    /// Another unfinished task on the issue, a running one before a queued one.
    static func unfinished(
        on issue: IssueReference, besides taskID: UUID, connection: PostgresConnection, logger: Logger
    ) async throws -> TaskReceipt.OtherTask? {
        guard
            let (id, status) = try await connection.query(
                """
                SELECT id, status FROM tasks
                WHERE repository_id = \(issue.repositoryID) AND issue_number = \(issue.number) AND id <> \(taskID)
                    AND status IN ('queued', 'dispatching', 'running')
                ORDER BY status = 'queued', created_at
                LIMIT 1
                """, logger: logger
            ).collect().first?.decode((UUID, String).self)
        else { return nil }
        return TaskReceipt.OtherTask(id: id, status: TaskStatus(rawValue: status) ?? .queued)
    }
}

public enum TaskIntakeError: Error, Equatable, CustomStringConvertible {
    /// The request id names a task someone else asked for.
    case requestTaken

    public var description: String {
        switch self {
        case .requestTaken: "the request id is already used by another request"
        }
    }
}
