import Foundation
import Logging
import Prometheus
import ServiceLifecycle

/// The watchdog's loop: holds or waits for the lease, and while it leads runs each sweep at its own
/// interval. Any number of replicas may run; exactly one acts. On graceful shutdown the leader gives
/// the lease up so another replica takes over at once.
public struct WatchdogRunner: Service {
    let lease: LeaderLease
    let sweeps: [any WatchdogSweep]
    let metrics: ServiceMetrics?
    let logger: Logger

    public init(lease: LeaderLease, sweeps: [any WatchdogSweep], metrics: ServiceMetrics?, logger: Logger) {
        self.lease = lease
        self.sweeps = sweeps
        self.metrics = metrics
        self.logger = logger
    }

    public func run() async throws {
        let leading = metrics?.gauge(
            "leader", unit: "info", help: "1 while this replica (holder) leads and runs the sweeps, else 0.",
            labels: [("holder", lease.holder)])
        leading?.set(Int64(0))
        await withDiscardingTaskGroup { group in
            group.addTask { await keepLease(leading) }
            for sweep in sweeps {
                group.addTask { await loop(sweep) }
            }
            try? await gracefulShutdown()
            group.cancelAll()
        }
        if lease.isLeading {
            logger.notice("giving up the watchdog lease")
            // A database that does not answer must not hold up shutdown: the lease then simply expires.
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await lease.release() }
                group.addTask { try? await Task.sleep(for: .seconds(1)) }
                await group.next()
                group.cancelAll()
            }
        }
        leading?.set(Int64(0))
    }

    func keepLease(_ leading: Gauge?) async {
        var led = false
        while !Task.isCancelled {
            let leads = await lease.renew()
            if leads != led {
                logger.notice(
                    leads ? "leading the watchdogs" : "no longer leading", metadata: ["holder": "\(lease.holder)"])
                led = leads
            }
            leading?.set(Int64(leads ? 1 : 0))
            do { try await Task.sleep(for: lease.renewInterval) } catch { return }
        }
    }

    /// Runs `sweep` every `interval` while this replica leads.
    func loop(_ sweep: any WatchdogSweep) async {
        let runs = { (outcome: String) in
            metrics?.counter(
                "sweep_runs", help: "Sweep rounds, by outcome.", labels: [("sweep", sweep.name), ("outcome", outcome)])
        }
        let items = metrics?.counter("sweep_items", help: "Items sweeps acted on.", labels: [("sweep", sweep.name)])
        let duration = metrics?.histogram(
            "sweep_duration", help: "How long a sweep round took.", labels: [("sweep", sweep.name)])
        while !Task.isCancelled {
            if lease.isLeading {
                let start = ContinuousClock.now
                do {
                    let acted = try await sweep.sweep(lead: lease)
                    items?.increment(by: Int64(acted))
                    runs("ok")?.increment()
                    if acted > 0 {
                        logger.info("sweep acted", metadata: ["sweep": "\(sweep.name)", "items": "\(acted)"])
                    }
                } catch {
                    if Task.isCancelled { return }
                    runs("error")?.increment()
                    logger.warning(
                        "sweep failed; it runs again next round",
                        metadata: ["sweep": "\(sweep.name)", "error": "\(String(reflecting: error))"])
                }
                duration?.record(ContinuousClock.now - start)
            }
            do { try await Task.sleep(for: sweep.interval) } catch { return }
        }
    }
}
