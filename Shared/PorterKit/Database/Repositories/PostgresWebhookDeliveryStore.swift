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
            // A concurrent copy of this delivery waits here for our commit, then finds the row and stops.
            let inserted = try await connection.query(
                """
                INSERT INTO webhook_deliveries (delivery_id, event, action, installation_id, outcome)
                VALUES (\(delivery.id), \(delivery.event), \(delivery.action), \(delivery.installationID), 'processing')
                ON CONFLICT (delivery_id) DO NOTHING
                RETURNING delivery_id
                """, logger: logger
            ).collect()
            guard !inserted.isEmpty else { return .duplicate }
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
