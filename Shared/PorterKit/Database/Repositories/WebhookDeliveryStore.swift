import Foundation

/// A verified delivery as the gateway received it.
public struct IncomingDelivery: Sendable, Equatable {
    public var id: String
    public var event: String
    public var action: String?
    public var installationID: Int64?

    public init(id: String, event: String, action: String?, installationID: Int64?) {
        self.id = id
        self.event = event
        self.action = action
        self.installationID = installationID
    }
}

/// What recording a delivery did.
public enum DeliveryRecord: Sendable, Equatable {
    /// This delivery id was recorded before; nothing changed.
    case duplicate
    /// Recorded now, with what its effect did.
    case recorded(outcome: String, taskID: UUID?)
}

/// Records deliveries exactly once, applying each one's effect in the same transaction, so a 2xx to
/// GitHub always means the delivery and everything it caused are committed.
public protocol WebhookDeliveryStore: Sendable {
    func record(_ delivery: IncomingDelivery, effect: DeliveryEffect) async throws -> DeliveryRecord
}
