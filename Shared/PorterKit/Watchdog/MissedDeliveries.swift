import Foundation

/// A webhook GitHub logged that Porter should ask for again.
public struct MissedDelivery: Sendable, Equatable {
    /// GitHub's delivery GUID, the gateway's `delivery_id`.
    public var guid: String
    /// The log entry to redeliver: the GUID's newest.
    public var githubDeliveryID: Int
    public var event: String
    public var action: String?
    /// 1 when it is asked for the first time.
    public var attempt: Int
    /// The id of the GUID's oldest entry, which orders the deliveries as GitHub first sent them.
    var firstID: Int
}

/// Decides, from GitHub's delivery log and what Porter recorded, which deliveries to ask for again.
public enum MissedDeliveries {
    /// Every GUID in `log` the gateway never recorded and no redelivery was asked for, oldest first.
    /// A GUID already asked for is asked again only when GitHub's log shows that redelivery made and
    /// failed too (the gateway or its database was down), up to `maxAttempts` requests in all.
    public static func find(
        in log: [GitHubHookDelivery], standings: [String: DeliveryStanding], maxAttempts: Int
    ) -> [MissedDelivery] {
        var missed: [MissedDelivery] = []
        for (guid, entries) in Dictionary(grouping: log, by: \.guid) {
            let standing = standings[guid] ?? DeliveryStanding(recorded: false, request: nil)
            guard !standing.recorded, let newest = entries.max(by: { $0.id < $1.id }),
                let oldest = entries.min(by: { $0.id < $1.id })
            else { continue }
            var attempt = 1
            if let request = standing.request {
                // GitHub logs a redelivery as a new entry once it has made it; until then, wait for it.
                guard request.refused == nil, request.attempts < maxAttempts,
                    newest.id > request.githubDeliveryID, !newest.succeeded
                else { continue }
                attempt = request.attempts + 1
            }
            missed.append(
                MissedDelivery(
                    guid: guid, githubDeliveryID: newest.id, event: oldest.event, action: oldest.action,
                    attempt: attempt, firstID: oldest.id))
        }
        return missed.sorted { $0.firstID < $1.firstID }
    }
}
