import Foundation
import Logging
import PostgresNIO

/// Applies one `DeliveryEffect` on a connection inside the delivery's transaction.
struct DeliveryEffectApplier {
    let connection: PostgresConnection
    let delivery: IncomingDelivery
    let logger: Logger

    func apply(_ effect: DeliveryEffect) async throws -> (outcome: String, taskID: UUID?) {
        switch effect {
        case .ignore(let reason):
            return ("ignored: \(reason)", nil)
        case .pong:
            return ("pong", nil)
        case .startTask(let order):
            let task = try await startTask(order)
            return ("task_created", task)
        case .control(let verb, let context):
            try await enqueueControl(verb, context)
            return ("control: \(verb.rawValue)", nil)
        case .reply(let context, let body):
            try await reply(context, body: body)
            return ("replied", nil)
        case .issueClosed(let context):
            let counts = try await cancelTasks(.issue(context.issue), reason: "the issue was closed")
            return ("issue closed: \(counts.cancelled) cancelled, \(counts.stopping) stopping", nil)
        case .installationChanged(let change):
            return (try await changeInstallation(change), nil)
        }
    }

    private func startTask(_ order: TaskOrder) async throws -> UUID {
        let settings = try await connection.query(
            "SELECT default_agent, default_model FROM user_settings WHERE user_id = \(order.context.requester.id)",
            logger: logger
        ).collect().first?.decode((String?, String?).self)
        let preferred = settings?.0.flatMap(Agent.init(rawValue:))
        let agent = order.options.agent ?? preferred ?? .fallback
        let model = order.options.model ?? (agent == preferred ? settings?.1 : nil)
        let task = NewTask(
            issue: order.context.issue, requester: order.context.requester,
            request: TaskRequest(
                agent: agent, model: model, priority: order.options.priority ?? .normal,
                draft: order.options.draft ?? true, baseBranch: order.options.baseBranch,
                instructions: order.options.instructions),
            triggerCommentID: order.context.commentID, deliveryID: delivery.id)
        _ = try await PostgresTaskRepository.insert(task, on: connection, logger: logger)
        try await connection.query(
            "INSERT INTO jobs (kind, task_id, priority) VALUES ('dispatch', \(task.id), \(task.request.priority.rank))",
            logger: logger)
        try await notify("dispatch")
        return task.id
    }

    private func enqueueControl(_ verb: ControlVerb, _ context: IssueContext) async throws {
        let payload = try String(
            decoding: JSONEncoder().encode(ControlRequest(verb: verb, context: context)), as: UTF8.self)
        try await connection.query(
            """
            INSERT INTO jobs (kind, payload, priority)
            VALUES ('control', \(payload)::jsonb, \(TaskPriority.high.rank))
            """, logger: logger)
        try await notify("control")
    }

    private func reply(_ context: IssueContext, body: String) async throws {
        try await PostgresSideEffectQueue.enqueue(
            .createComment(
                CommentRequest(
                    repositoryFullName: context.issue.repositoryFullName, issueNumber: context.issue.number, body: body)
            ),
            installationID: context.issue.installationID, dedupeKey: "delivery:\(delivery.id):reply", on: connection,
            logger: logger)
    }

    private func notify(_ kind: String) async throws {
        try await connection.query(
            "SELECT pg_notify(\(PostgresWebhookDeliveryStore.jobsChannel), \(kind))", logger: logger)
    }

    enum Scope {
        case issue(IssueReference)
        case installation(Int64)
    }

    /// Queued tasks end cancelled now; active ones are marked and handed to the services that own
    /// their Machines through a `cancel` job.
    func cancelTasks(_ scope: Scope, reason: String) async throws -> (cancelled: Int, stopping: Int) {
        // One statement serves both scopes: the unused one is bound as NULL and matches nothing.
        var repositoryID: Int64?
        var issueNumber: Int?
        var installationID: Int64?
        switch scope {
        case .issue(let issue): (repositoryID, issueNumber) = (issue.repositoryID, issue.number)
        case .installation(let id): installationID = id
        }
        let cancelled = try await connection.query(
            """
            UPDATE tasks SET status = 'cancelled', status_reason = \(reason)
            WHERE status = 'queued' AND ((repository_id = \(repositoryID) AND issue_number = \(issueNumber))
                OR installation_id = \(installationID))
            RETURNING id
            """, logger: logger
        ).collect().map { try $0.decode(UUID.self) }
        for id in cancelled {
            try await PostgresTaskRepository.appendEvent(
                on: connection, taskID: id, kind: "status", message: "cancelled: \(reason)", logger: logger)
        }
        let stopping = try await connection.query(
            """
            UPDATE tasks SET cancel_requested_at = now(), status_reason = \(reason)
            WHERE status IN ('dispatching', 'running') AND cancel_requested_at IS NULL
                AND ((repository_id = \(repositoryID) AND issue_number = \(issueNumber)) OR installation_id = \(installationID))
            RETURNING id
            """, logger: logger
        ).collect().map { try $0.decode(UUID.self) }
        for id in stopping {
            try await connection.query(
                """
                INSERT INTO jobs (kind, task_id, priority) VALUES ('cancel', \(id), \(TaskPriority.high.rank))
                ON CONFLICT (task_id, kind) WHERE task_id IS NOT NULL DO NOTHING
                """, logger: logger)
            try await PostgresTaskRepository.appendEvent(
                on: connection, taskID: id, kind: "cancel_requested", message: reason, logger: logger)
        }
        if !stopping.isEmpty { try await notify("cancel") }
        return (cancelled.count, stopping.count)
    }

    private func changeInstallation(_ change: InstallationChange) async throws -> String {
        let account = change.account
        try await connection.query(
            """
            INSERT INTO installations (id, account_id, account_login, account_type, repository_selection)
            VALUES (\(change.installationID), \(account?.id ?? 0), \(account?.login ?? ""), \(account?.type ?? "User"),
                    \(change.repositorySelection ?? "selected"))
            ON CONFLICT (id) DO UPDATE SET
                account_id = CASE WHEN EXCLUDED.account_id = 0 THEN installations.account_id ELSE EXCLUDED.account_id END,
                account_login = CASE WHEN EXCLUDED.account_login = '' THEN installations.account_login
                    ELSE EXCLUDED.account_login END,
                repository_selection = EXCLUDED.repository_selection,
                updated_at = now()
            """, logger: logger)
        switch change.kind {
        case .upsert:
            try await connection.query(
                "UPDATE installations SET deleted_at = NULL, suspended_at = NULL WHERE id = \(change.installationID)",
                logger: logger)
        case .deleted:
            try await connection.query(
                "UPDATE installations SET deleted_at = now() WHERE id = \(change.installationID)", logger: logger)
        case .suspended:
            try await connection.query(
                "UPDATE installations SET suspended_at = now() WHERE id = \(change.installationID)", logger: logger)
        }
        for repository in change.added {
            try await connection.query(
                """
                INSERT INTO installation_repositories (installation_id, repository_id, full_name, private)
                VALUES (\(change.installationID), \(repository.id), \(repository.fullName), \(repository.isPrivate))
                ON CONFLICT (installation_id, repository_id) DO UPDATE SET full_name = EXCLUDED.full_name,
                    private = EXCLUDED.private
                """, logger: logger)
        }
        if !change.removed.isEmpty {
            try await connection.query(
                """
                DELETE FROM installation_repositories
                WHERE installation_id = \(change.installationID) AND repository_id = ANY(\(change.removed))
                """, logger: logger)
        }
        guard change.kind != .upsert else { return "installation \(change.kind.rawValue)" }
        let counts = try await cancelTasks(
            .installation(change.installationID), reason: "the installation was \(change.kind.rawValue)")
        return "installation \(change.kind.rawValue): \(counts.cancelled) cancelled, \(counts.stopping) stopping"
    }
}

/// The payload of a `control` job: what was asked, where, by whom.
public struct ControlRequest: Codable, Sendable, Equatable {
    public var verb: ControlVerb
    public var context: IssueContext
}
