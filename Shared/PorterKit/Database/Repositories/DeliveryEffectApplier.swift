import Foundation
import Logging
import PostgresNIO

/// Applies one `DeliveryEffect` on a connection inside the delivery's transaction.
struct DeliveryEffectApplier {
    let connection: PostgresConnection
    let delivery: IncomingDelivery
    let logger: Logger

    /// The outcome of an effect that writes nothing but the delivery's row, known before it is recorded;
    /// nil for the others.
    static func settled(_ effect: DeliveryEffect) -> (outcome: DeliveryOutcome, detail: String)? {
        switch effect {
        case .ignore(let reason): (.ignored, "ignored: \(reason)")
        case .pong: (.pong, "pong")
        default: nil
        }
    }

    func apply(_ effect: DeliveryEffect) async throws -> (outcome: DeliveryOutcome, detail: String, taskID: UUID?) {
        if let settled = Self.settled(effect) { return (settled.outcome, settled.detail, nil) }
        switch effect {
        case .ignore, .pong:
            preconditionFailure("settled above")
        case .startTask(let order):
            let task = try await startTask(order)
            return (.taskCreated, "task_created", task)
        case .control(let verb, let context):
            try await enqueueControl(verb, context)
            return (.control, "control: \(verb.rawValue)", nil)
        case .reply(let context, let body, let outsiders):
            try await reply(context, body: body, outsiders: outsiders)
            return (.replied, "replied", nil)
        case .issueClosed(let context):
            let outcome = try await TaskCancellation.request(
                .issue(repositoryID: context.issue.repositoryID, number: context.issue.number),
                reason: "the issue was closed", on: connection, logger: logger)
            return (
                .issueClosed, "issue closed: \(outcome.cancelled.count) cancelled, \(outcome.stopping.count) stopping",
                nil
            )
        case .installationChanged(let change):
            return (.installation, try await changeInstallation(change), nil)
        case .pullRequestChanged(let change):
            return (.pullRequest, try await changePullRequest(change), nil)
        case .reject(let reason):
            // The gateway answers a refused delivery without recording it; should one get here, the
            // transaction rolls back and nothing of it is kept.
            throw DeliveryRefused(reason: reason)
        }
    }

    private func startTask(_ order: TaskOrder) async throws -> UUID {
        try await TaskIntake.insert(order, key: delivery.id, on: connection, logger: logger)
    }

    private func enqueueControl(_ verb: ControlVerb, _ context: IssueContext) async throws {
        try await PostgresJobQueue.enqueue(
            .control(ControlRequest(verb: verb, context: context, deliveryID: delivery.id)), on: connection,
            logger: logger)
    }

    private func reply(_ context: IssueContext, body: String, outsiders: ReplyAudience.Outsiders) async throws {
        // The gateway never calls GitHub: the deliverer checks the commenter's permission before posting.
        try await PostgresSideEffectQueue.enqueue(
            .createComment(
                CommentRequest(
                    repositoryFullName: context.issue.repositoryFullName, issueNumber: context.issue.number, body: body,
                    audience: ReplyAudience(
                        login: context.requester.login, repositoryID: context.issue.repositoryID,
                        outsiders: outsiders))),
            installationID: context.issue.installationID, dedupeKey: "delivery:\(delivery.id):reply", on: connection,
            logger: logger)
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
        var outcome = TaskCancellation.Outcome()
        if !change.removed.isEmpty {
            try await connection.query(
                """
                DELETE FROM installation_repositories
                WHERE installation_id = \(change.installationID) AND repository_id = ANY(\(change.removed))
                """, logger: logger)
            // Porter can no longer reach a removed repository: its tasks stop.
            outcome = try await TaskCancellation.request(
                .repositories(installationID: change.installationID, change.removed),
                reason: "the repository was removed from the installation", on: connection, logger: logger)
        }
        if change.kind != .upsert {
            outcome = try await TaskCancellation.request(
                .installation(change.installationID), reason: "the installation was \(change.kind.rawValue)",
                on: connection, logger: logger)
        }
        let summary = "installation \(change.kind.rawValue)"
        guard change.kind != .upsert || !outcome.cancelled.isEmpty || !outcome.stopping.isEmpty else { return summary }
        return "\(summary): \(outcome.cancelled.count) cancelled, \(outcome.stopping.count) stopping"
    }
}
