import Foundation
import Logging
import PostgresNIO

public struct PostgresWebhookDeliveryStore: WebhookDeliveryStore {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public func record(_ delivery: IncomingDelivery, effect: DeliveryEffect) async throws -> DeliveryRecord {
        // GitHub waits 10 s for an answer: a query a closing connection swallowed must fail, not hang.
        try await client.withGuardedTransaction(logger: logger) { [logger] connection in
            if case .startTask(let order) = effect {
                // The delivery's row, the task, its first event, its job and the wake-up: one statement.
                guard
                    let taskID = try await TaskIntake.insert(order, delivery: delivery, on: connection, logger: logger)
                else { return .duplicate }
                return .recorded(.taskCreated, detail: "task_created", taskID: taskID)
            }
            // An effect that writes nothing else is recorded with its outcome at once; another is applied
            // once the row is in, and its outcome written back.
            let settled = DeliveryEffectApplier.settled(effect)
            // A concurrent copy of this delivery waits here for our commit, then finds the row and stops.
            let inserted = try await connection.query(
                """
                INSERT INTO webhook_deliveries (delivery_id, event, action, installation_id, outcome)
                VALUES (\(delivery.id), \(delivery.event), \(delivery.action), \(delivery.installationID),
                    \(settled?.detail ?? "processing"))
                ON CONFLICT (delivery_id) DO NOTHING
                RETURNING delivery_id
                """, logger: logger
            ).collect()
            guard !inserted.isEmpty else { return .duplicate }
            if let settled { return .recorded(settled.outcome, detail: settled.detail, taskID: nil) }
            let applied = try await DeliveryEffectApplier(connection: connection, delivery: delivery, logger: logger)
                .apply(effect)
            try await connection.query(
                """
                UPDATE webhook_deliveries SET outcome = \(applied.detail), task_id = \(applied.taskID)
                WHERE delivery_id = \(delivery.id)
                """, logger: logger)
            return .recorded(applied.outcome, detail: applied.detail, taskID: applied.taskID)
        }
    }
}
