import Foundation
import Logging
import PostgresNIO

public struct PostgresRedeliveryStore: RedeliveryStore {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public func standing(of guids: [String]) async throws -> [String: DeliveryStanding] {
        guard !guids.isEmpty else { return [:] }
        let rows = try await client.query(
            """
            SELECT g.guid, d.delivery_id IS NOT NULL, r.github_delivery_id, r.attempts, r.refused
            FROM unnest(\(guids)::text[]) AS g(guid)
            LEFT JOIN webhook_deliveries d ON d.delivery_id = g.guid
            LEFT JOIN webhook_redeliveries r ON r.guid = g.guid
            """, logger: logger
        ).decode((String, Bool, Int64?, Int32?, String?).self)
        var standings: [String: DeliveryStanding] = [:]
        for try await (guid, recorded, githubID, attempts, refused) in rows {
            let request = githubID.map {
                RedeliveryRequest(githubDeliveryID: Int($0), attempts: Int(attempts ?? 1), refused: refused)
            }
            standings[guid] = DeliveryStanding(recorded: recorded, request: request)
        }
        return standings
    }

    public func noteRequest(guid: String, githubDeliveryID: Int, refused: String?) async throws {
        try await client.query(
            """
            INSERT INTO webhook_redeliveries (guid, github_delivery_id, refused)
            VALUES (\(guid), \(Int64(githubDeliveryID)), \(refused))
            ON CONFLICT (guid) DO UPDATE SET
                github_delivery_id = EXCLUDED.github_delivery_id, refused = EXCLUDED.refused,
                attempts = webhook_redeliveries.attempts + 1, requested_at = now()
            """, logger: logger)
    }

    public func prune(before cutoff: Date) async throws {
        try await client.query("DELETE FROM webhook_redeliveries WHERE requested_at < \(cutoff)", logger: logger)
    }
}
