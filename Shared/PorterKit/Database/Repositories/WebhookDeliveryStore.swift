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
    /// Recorded now: what its effect did, as its kind and as the sentence kept on the delivery's row.
    case recorded(DeliveryOutcome, detail: String, taskID: UUID?)
}

/// What became of a webhook delivery, one case per answer the gateway can give: the raw value is the
/// `outcome` label of its metrics, so the label set is this enum and nothing else.
public enum DeliveryOutcome: String, Sendable, CaseIterable {
    case taskCreated = "task_created"
    case control
    case replied
    case ignored
    case pong
    case issueClosed = "issue_closed"
    case installation
    case pullRequest = "pull_request"
    case duplicate
    /// Refused before anything was recorded: too large, unsigned, malformed.
    case tooLarge = "too_large"
    case unauthorized
    case malformed
    /// It could not be recorded (the database); GitHub is answered 503 and delivers it again.
    case failed
}

/// Records deliveries exactly once, applying each one's effect in the same transaction, so a 2xx to
/// GitHub always means the delivery and everything it caused are committed.
public protocol WebhookDeliveryStore: Sendable {
    func record(_ delivery: IncomingDelivery, effect: DeliveryEffect) async throws -> DeliveryRecord
}
