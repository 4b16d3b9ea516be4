import Foundation

/// A redelivery the watchdog asked GitHub for.
public struct RedeliveryRequest: Sendable, Equatable {
    /// The newest entry of GitHub's log for the GUID when it asked; a newer entry is the redelivery.
    public var githubDeliveryID: Int
    /// How many times it was asked for.
    public var attempts: Int
    /// Why GitHub would not redeliver it; such a delivery is never asked for again.
    public var refused: String?

    public init(githubDeliveryID: Int, attempts: Int, refused: String? = nil) {
        self.githubDeliveryID = githubDeliveryID
        self.attempts = attempts
        self.refused = refused
    }
}

/// What Porter knows of one webhook GUID from GitHub's delivery log.
public struct DeliveryStanding: Sendable, Equatable {
    /// The gateway recorded it: it arrived, whatever GitHub's log says.
    public var recorded: Bool
    public var request: RedeliveryRequest?

    public init(recorded: Bool, request: RedeliveryRequest?) {
        self.recorded = recorded
        self.request = request
    }
}

/// Which deliveries the gateway recorded and which redeliveries were asked for: what the delivery
/// reconciler needs so it asks for each missed delivery once, across rounds and restarts.
public protocol RedeliveryStore: Sendable {
    /// The standing of each GUID; one known to neither the gateway nor a request is unrecorded, unrequested.
    func standing(of guids: [String]) async throws -> [String: DeliveryStanding]
    /// Notes a redelivery asked for (or refused, with GitHub's reason), counting the attempts.
    func noteRequest(guid: String, githubDeliveryID: Int, refused: String?) async throws
    /// Forgets requests made before `cutoff`; their deliveries have left the reconciliation window.
    func prune(before cutoff: Date) async throws
}
