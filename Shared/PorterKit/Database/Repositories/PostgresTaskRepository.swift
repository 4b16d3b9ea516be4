import Foundation
import Logging
import PostgresNIO

public struct PostgresTaskRepository: TaskRepository {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public func create(_ task: NewTask) async throws -> PorterTask {
        try await client.withTransaction(logger: logger) { try await Self.insert(task, on: $0, logger: logger) }
    }

    /// Inserts a queued task and its first event on a connection that may be inside a larger transaction.
    static func insert(_ task: NewTask, on connection: PostgresConnection, logger: Logger) async throws -> PorterTask {
        let rows = try await connection.query(
            """
            INSERT INTO tasks (
                id, installation_id, repository_id, repository_full_name, issue_number, is_pull_request,
                requester_id, requester_login, agent, model, priority, draft, base_branch, instructions,
                trigger_comment_id, delivery_id, retry_of, kind, follow_up_of, trigger_comment_kind)
            VALUES (
                \(task.id), \(task.issue.installationID), \(task.issue.repositoryID), \(task.issue.repositoryFullName),
                \(task.issue.number), \(task.issue.isPullRequest), \(task.requester.id), \(task.requester.login),
                \(task.request.agent.rawValue), \(task.request.model), \(task.request.priority.rank), \(task.request.draft),
                \(task.request.baseBranch), \(PromptBuilder.storable(task.request.instructions)), \(task.triggerCommentID), \(task.deliveryID),
                \(task.retryOf), \(task.kind.rawValue), \(task.followUpOf), \(task.triggerCommentKind?.rawValue))
            RETURNING \(unescaped: Self.columns)
            """, logger: logger)
        guard let row = try await rows.collect().first else { throw RepositoryError.missingRow("tasks insert") }
        if let followUp = task.followUp {
            try await insertFollowUp(followUp, taskID: task.id, on: connection, logger: logger)
        }
        try await appendEvent(on: connection, taskID: task.id, kind: "status", message: "queued", logger: logger)
        return try Self.task(from: row)
    }

    /// Stores where on the pull request a follow-up was asked for, beside its task.
    static func insertFollowUp(
        _ followUp: FollowUpRequest, taskID: UUID, on connection: PostgresConnection, logger: Logger
    ) async throws {
        // Built again so the caps and the storable rules hold whoever made the value.
        let request = FollowUpRequest(
            source: followUp.source, reviewID: followUp.reviewID, commentID: followUp.commentID, path: followUp.path,
            startLine: followUp.startLine, line: followUp.line, side: followUp.side, diffHunk: followUp.diffHunk)
        try await connection.query(
            """
            INSERT INTO task_follow_ups (
                task_id, source, review_id, comment_id, path, start_line, line, side, diff_hunk)
            VALUES (
                \(taskID), \(request.source.rawValue), \(request.reviewID), \(request.commentID), \(request.path),
                \(request.startLine), \(request.line), \(request.side), \(request.diffHunk))
            """, logger: logger)
    }

    /// Where on the pull request the follow-up `taskID` was asked for; nil for other tasks.
    public func followUp(taskID: UUID) async throws -> FollowUpRequest? {
        let row = try await client.query(
            """
            SELECT source, review_id, comment_id, path, start_line, line, side, diff_hunk
            FROM task_follow_ups WHERE task_id = \(taskID)
            """, logger: logger
        ).collect().first
        guard let row else { return nil }
        let (source, reviewID, commentID, path, startLine, line, side, hunk) = try row.decode(
            (String, Int64?, Int64?, String?, Int?, Int?, String?, String?).self)
        guard let source = FollowUpRequest.Source(rawValue: source) else {
            throw RepositoryError.corruptRow("follow-up of task \(taskID) has source \(source)")
        }
        return FollowUpRequest(
            source: source, reviewID: reviewID, commentID: commentID, path: path, startLine: startLine, line: line,
            side: side, diffHunk: hunk)
    }

    public func find(id: UUID) async throws -> PorterTask? {
        let rows = try await client.query(
            "SELECT \(unescaped: Self.columns) FROM tasks WHERE id = \(id)", logger: logger)
        return try await rows.collect().first.map(Self.task(from:))
    }

    public func transition(id: UUID, to status: TaskStatus, reason: String?) async throws -> TransitionOutcome {
        try await client.withTransaction(logger: logger) { connection in
            let current = try await connection.query(
                "SELECT status FROM tasks WHERE id = \(id) FOR UPDATE", logger: logger
            ).collect().first?.decode(String.self)
            guard let current, let currentStatus = TaskStatus(rawValue: current) else { return .notFound }
            guard currentStatus.canMove(to: status) else { return .unchanged(current: currentStatus) }
            // The guard on the old status repeats the rule in SQL, so the row lock is not the only protection.
            let allowedFrom = TaskStatus.predecessors(of: status).map(\.rawValue)
            let updated = try await connection.query(
                """
                UPDATE tasks SET status = \(status.rawValue), status_reason = \(reason)
                WHERE id = \(id) AND status = ANY(\(allowedFrom))
                RETURNING id
                """, logger: logger
            ).collect()
            guard !updated.isEmpty else { return .unchanged(current: currentStatus) }
            try await Self.appendEvent(
                on: connection, taskID: id, kind: "status",
                message: reason.map { "\(status.rawValue): \($0)" } ?? status.rawValue, logger: logger)
            return .moved(from: currentStatus)
        }
    }

    public func events(taskID: UUID) async throws -> [TaskEvent] {
        var events: [TaskEvent] = []
        let rows = try await client.query(
            "SELECT id, attempt, kind, message, created_at FROM task_events WHERE task_id = \(taskID) ORDER BY id",
            logger: logger)
        for try await (id, attempt, kind, message, createdAt) in rows.decode((Int64, Int?, String, String, Date).self) {
            events.append(
                TaskEvent(id: id, taskID: taskID, attempt: attempt, kind: kind, message: message, createdAt: createdAt))
        }
        return events
    }

    static func appendEvent(
        on connection: PostgresConnection, taskID: UUID, attempt: Int? = nil, kind: String, message: String,
        logger: Logger
    ) async throws {
        try await connection.query(
            "INSERT INTO task_events (task_id, attempt, kind, message) VALUES (\(taskID), \(attempt), \(kind), \(message))",
            logger: logger)
    }

    static let columns = """
        id, installation_id, repository_id, repository_full_name, issue_number, is_pull_request, requester_id,
        requester_login, agent, model, priority, draft, base_branch, instructions, status, status_reason,
        trigger_comment_id, delivery_id, retry_of, created_at, updated_at, finished_at, kind, follow_up_of,
        trigger_comment_kind
        """

    static func task(from row: PostgresRow) throws -> PorterTask {
        let (id, installationID, repositoryID, repositoryName, number, isPullRequest, requesterID, requesterLogin) =
            try row.decode((UUID, Int64, Int64, String, Int, Bool, Int64, String).self)
        let columns = row.makeRandomAccess()
        let agentName = try columns["agent"].decode(String.self)
        let statusName = try columns["status"].decode(String.self)
        let rank = try columns["priority"].decode(Int16.self)
        let kindName = try columns["kind"].decode(String.self)
        let commentKindName = try columns["trigger_comment_kind"].decode(String?.self)
        let commentKind = commentKindName.flatMap(CommentKind.init(rawValue:))
        guard let agent = Agent(rawValue: agentName), let status = TaskStatus(rawValue: statusName),
            let priority = TaskPriority(rank: rank), let kind = TaskKind(rawValue: kindName),
            (commentKindName == nil) == (commentKind == nil)
        else {
            throw RepositoryError.corruptRow(
                """
                task \(id) has agent \(agentName), status \(statusName), priority \(rank), kind \(kindName), \
                trigger comment kind \(commentKindName ?? "none")
                """)
        }
        return PorterTask(
            id: id,
            issue: IssueReference(
                installationID: installationID, repositoryID: repositoryID, repositoryFullName: repositoryName,
                number: number, isPullRequest: isPullRequest),
            requester: Requester(id: requesterID, login: requesterLogin),
            request: TaskRequest(
                agent: agent, model: try columns["model"].decode(String?.self), priority: priority,
                draft: try columns["draft"].decode(Bool.self),
                baseBranch: try columns["base_branch"].decode(String?.self),
                instructions: try columns["instructions"].decode(String.self)),
            status: status,
            statusReason: try columns["status_reason"].decode(String?.self),
            triggerCommentID: try columns["trigger_comment_id"].decode(Int64?.self),
            deliveryID: try columns["delivery_id"].decode(String?.self),
            retryOf: try columns["retry_of"].decode(UUID?.self),
            createdAt: try columns["created_at"].decode(Date.self),
            updatedAt: try columns["updated_at"].decode(Date.self),
            finishedAt: try columns["finished_at"].decode(Date?.self),
            kind: kind,
            followUpOf: try columns["follow_up_of"].decode(UUID?.self),
            triggerCommentKind: commentKind)
    }
}

public enum RepositoryError: Error, CustomStringConvertible {
    case missingRow(String)
    case corruptRow(String)

    public var description: String {
        switch self {
        case .missingRow(let what): "expected a row back from \(what)"
        case .corruptRow(let what): "stored row cannot be read: \(what)"
        }
    }
}
