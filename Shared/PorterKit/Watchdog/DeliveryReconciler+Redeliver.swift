import Logging

extension DeliveryReconciler {
    /// Asks GitHub for one redelivery and notes it. GitHub's refusal of this one delivery (it is gone
    /// or too old) is noted too, so it is not asked for again; any other failure ends the round and the
    /// next round tries again.
    func redeliver(_ delivery: MissedDelivery) async throws {
        var metadata: Logger.Metadata = [
            "delivery_id": "\(delivery.guid)", "github_delivery_id": "\(delivery.githubDeliveryID)",
            "event": "\(delivery.event)", "attempt": "\(delivery.attempt)",
        ]
        if let action = delivery.action { metadata["action"] = "\(action)" }
        do {
            try await github.redeliverHookDelivery(id: delivery.githubDeliveryID)
        } catch let error as APIError where Self.isRefusal(error) {
            refused?.increment()
            metadata["error"] = "\(error)"
            logger.warning("GitHub refused to redeliver a missed webhook delivery", metadata: metadata)
            try await store.noteRequest(
                guid: delivery.guid, githubDeliveryID: delivery.githubDeliveryID,
                refused: String("\(error)".prefix(500)))
            return
        }
        requested?.increment()
        logger.notice("asked GitHub to redeliver a missed webhook delivery", metadata: metadata)
        try await store.noteRequest(guid: delivery.guid, githubDeliveryID: delivery.githubDeliveryID, refused: nil)
    }

    /// GitHub will never redeliver this one: it does not know it (404, 410) or will not (400, 422).
    /// Anything else (credentials, rate limits, outages) is about GitHub or Porter, not the delivery; so
    /// is a 422 saying the endpoint "has been spammed", which is GitHub asking to slow down.
    static func isRefusal(_ error: APIError) -> Bool {
        guard case .status(let code, _, _, let body, _) = error else { return false }
        return [400, 404, 410, 422].contains(code) && !body.lowercased().contains("spam")
    }
}
