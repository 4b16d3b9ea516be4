import Foundation
import Logging
import PostgresNIO

public struct PostgresWebhookDeliveryStore: WebhookDeliveryStore {
    let client: PostgresClient
    let logger: Logger
    let connectionWait: Duration

    /// - Parameter connectionWait: how long a delivery waits for a database connection (the server
    ///   down or restarting) before it is refused; GitHub gives up on an answer after 10 s, and a
    ///   refused delivery can be delivered again, where one GitHub gave up on waits for the watchdog.
    public init(client: PostgresClient, logger: Logger, connectionWait: Duration = .seconds(5)) {
        self.client = client
        self.logger = logger
        self.connectionWait = connectionWait
    }

    public func record(_ delivery: IncomingDelivery, effect: DeliveryEffect) async throws -> DeliveryRecord {
        // GitHub waits 10 s for an answer: a query a closing connection swallowed must fail, not hang,
        // and a database that is down is said at once rather than after GitHub stopped listening.
        try await client.withGuardedTransaction(logger: logger, connectionWait: connectionWait) {
            [logger] connection in
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
