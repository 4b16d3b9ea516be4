import Foundation
import Logging
import PostgresNIO
import Prometheus

/// Recovers webhooks the gateway never received. GitHub does not redeliver a failed webhook by itself:
/// each round reads the App's delivery log back to `window`, and asks GitHub to redeliver, one at a
/// time and oldest first, every delivery whose GUID the gateway never recorded and that was not asked
/// for already. A request is noted only after GitHub accepted it; one lost in between is asked again,
/// which the gateway's dedupe by GUID makes harmless.
public struct DeliveryReconciler: WatchdogSweep {
    public let name = "reconcile_deliveries"
    public var interval: Duration { settings.interval }
    let github: GitHubClient
    let store: any RedeliveryStore
    let settings: DeliveryReconcilerSettings
    let logger: Logger
    let requested: Counter?
    let refused: Counter?

    /// A log longer than this many pages of 100 is read only this far in one round.
    static let maxPages = 100
    /// Requests are forgotten this long after their deliveries left the window.
    static let retention: TimeInterval = 24 * 3600

    /// Reads GitHub's log with `github` (App credentials needed) and what was recorded from `database`.
    public init(
        github: GitHubClient, database: PostgresClient, settings: DeliveryReconcilerSettings = .init(),
        logger: Logger, metrics: ServiceMetrics? = nil
    ) {
        self.init(
            github: github, store: PostgresRedeliveryStore(client: database, logger: logger), settings: settings,
            logger: logger, metrics: metrics)
    }

    /// The same over any store.
    public init(
        github: GitHubClient, store: any RedeliveryStore, settings: DeliveryReconcilerSettings = .init(),
        logger: Logger, metrics: ServiceMetrics? = nil
    ) {
        self.github = github
        self.store = store
        self.settings = settings
        self.logger = logger
        let help = "Missed webhook deliveries the watchdog asked GitHub to redeliver, by outcome."
        self.requested = metrics?.counter("webhook_redeliveries", help: help, labels: [("outcome", "requested")])
        self.refused = metrics?.counter("webhook_redeliveries", help: help, labels: [("outcome", "refused")])
    }

    public func sweep(lead: any Leadership) async throws -> Int {
        guard lead.isLeading else { return 0 }
        let since = Date().addingTimeInterval(-settings.window.seconds)
        try await store.prune(before: since.addingTimeInterval(-Self.retention))
        let missed = try await missedDeliveries(since: since)
        guard !missed.isEmpty else { return 0 }
        logger.info(
            "missed webhook deliveries found",
            metadata: ["count": "\(missed.count)", "this_round": "\(min(missed.count, settings.maxPerRound))"])
        var asked = 0
        for delivery in missed.prefix(settings.maxPerRound) {
            if asked > 0 { try await Task.sleep(for: settings.spacing) }
            guard lead.isLeading else {
                logger.notice("no longer leading; redeliveries stop for this round")
                break
            }
            try await redeliver(delivery)
            asked += 1
        }
        return asked
    }

    /// The deliveries GitHub logged since `since` that Porter should ask for again, oldest first.
    func missedDeliveries(since: Date) async throws -> [MissedDelivery] {
        let log = try await recentLog(since: since)
        var standings: [String: DeliveryStanding] = [:]
        let guids = Array(Set(log.map(\.guid)))
        for start in stride(from: 0, to: guids.count, by: 1000) {
            let chunk = Array(guids[start..<min(start + 1000, guids.count)])
            standings.merge(try await store.standing(of: chunk)) { $1 }
        }
        return MissedDeliveries.find(in: log, standings: standings, maxAttempts: settings.maxAttempts)
    }

    /// GitHub's delivery log, newest first, page by page until an entry is older than `since`.
    func recentLog(since: Date) async throws -> [GitHubHookDelivery] {
        var log: [GitHubHookDelivery] = []
        var cursor: String?
        for _ in 0..<Self.maxPages {
            let page = try await github.listHookDeliveries(cursor: cursor, perPage: 100)
            log += page.deliveries.filter { $0.deliveredAt >= since }
            guard let next = page.nextCursor, next != cursor,
                !page.deliveries.contains(where: { $0.deliveredAt < since })
            else { return log }
            cursor = next
        }
        logger.warning("GitHub's delivery log is longer than this round reads", metadata: ["pages": "\(Self.maxPages)"])
        return log
    }
}
