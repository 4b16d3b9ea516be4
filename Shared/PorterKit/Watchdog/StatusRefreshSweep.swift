import Foundation
import Logging

/// Keeps the status comments of running tasks from going stale: one whose last edit is older than
/// `cadence` is edited again, so its elapsed time moves and it shows the worker's latest phase and
/// line. Refreshes are the least urgent GitHub writes, so each installation gets at most `budget` of
/// them a minute, spaced evenly: replies, labels and pull requests queued meanwhile never wait
/// behind a burst of them in GitHub's one-mutation-a-second pacing.
public struct StatusRefreshSweep: WatchdogSweep {
    public let name = "status_refresh"
    public let interval: Duration
    let store: WatchdogStore
    let publicURL: URL
    let cadence: Duration
    let budget: Int
    let logger: Logger

    /// - Parameters:
    ///   - cadence: how old a running task's last status edit may get (`PORTER_STATUS_REFRESH`).
    ///   - budget: refresh edits per installation per minute (`PORTER_STATUS_REFRESH_BUDGET`).
    public init(
        interval: Duration, store: WatchdogStore, publicURL: URL, cadence: Duration = .seconds(120),
        budget: Int = 10, logger: Logger
    ) {
        self.interval = interval
        self.store = store
        self.publicURL = publicURL
        self.cadence = cadence
        self.budget = max(1, budget)
        self.logger = logger
    }

    public func sweep(lead: any Leadership) async throws -> Int {
        let gap = Duration.seconds(60) / budget
        var queued = 0
        for (installation, ids) in try await store.staleStatusComments(cadence: cadence, limit: 1_000) {
            // Each round books slots up to the next round; the slot's time is also the elapsed time shown.
            guard lead.isLeading else { break }
            queued += try await store.scheduleStatusRefreshes(
                installationID: installation, ids: ids, cadence: cadence, gap: gap, horizon: interval
            ) { [publicURL] task, phase, note, at in
                CallbackService.statusNotices(task, phase: phase, note: note, publicURL: publicURL, now: at)
            }
        }
        if queued > 0 { logger.debug("status comments refreshed", metadata: ["count": "\(queued)"]) }
        return queued
    }
}
