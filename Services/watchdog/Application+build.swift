import Foundation
import Hummingbird
import PorterKit

func buildApplication(
    config: WatchdogConfig, dependencies: ServiceDependencies
) async throws -> some ApplicationProtocol {
    let router = buildRouter(config: config, dependencies: dependencies)
    return PorterApplication.make(
        router: router, basics: config.basics, dependencies: dependencies,
        workers: [watchdog(config: config, dependencies: dependencies)])
}

func buildRouter(config: WatchdogConfig, dependencies: ServiceDependencies) -> Router<BasicRequestContext> {
    PorterApplication.router(dependencies: dependencies)
}

/// The lease and every sweep; only the replica holding the lease runs them.
func watchdog(config: WatchdogConfig, dependencies: ServiceDependencies) -> WatchdogRunner {
    let logger = dependencies.logger
    let postgres = dependencies.postgres
    let holder =
        "watchdog-\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))"
    let github = GitHubClient(
        endpoints: config.github, app: config.app, metrics: dependencies.metrics, logger: logger)
    let secrets = PostgresUserSecretStore(client: postgres, keyring: config.encryptionKeys, logger: logger)
    let store = WatchdogStore(client: postgres, logger: logger)
    let callbacks = PostgresCallbackRepository(client: postgres, logger: logger)
    let pacer = PostgresFlyPacer(client: postgres, logger: logger)
    let workers = WorkerRemover(fly: config.fly, secrets: secrets, pacer: pacer, logger: logger)
    let finalizer = Finalizer(
        publicURL: config.publicURL, webURL: config.github.webURL,
        redactor: Redactor(knownSecrets: config.secretValues),
        infraRetries: config.infraRetries)
    var sweeps: [any WatchdogSweep] = [
        DeadlineSweep(
            interval: config.sweepInterval, store: store, callbacks: callbacks, github: github, workers: workers,
            finalizer: finalizer, reportGrace: config.reportGrace, holder: holder, logger: logger),
        HeartbeatSweep(
            interval: config.sweepInterval, store: store, callbacks: callbacks, workers: workers, finalizer: finalizer,
            timeout: config.heartbeatTimeout, holder: holder, logger: logger),
        DispatchingSweep(
            interval: config.sweepInterval, store: store, queue: PostgresJobQueue(client: postgres, logger: logger),
            holder: holder, logger: logger),
        StatusRefreshSweep(
            interval: config.sweepInterval, store: store, publicURL: config.publicURL, cadence: config.statusRefresh,
            budget: config.statusRefreshBudget, logger: logger),
        RetentionPruner(client: postgres, settings: config.retention, logger: logger, metrics: dependencies.metrics),
        DeliveryReconciler(
            github: github, database: postgres, settings: config.reconcile, logger: logger,
            metrics: dependencies.metrics),
    ]
    if config.runtime == .fly {
        sweeps.append(
            OrphanSweep(
                interval: config.orphanInterval, store: store, fly: config.fly, pacer: pacer, secrets: secrets,
                workers: workers,
                grace: config.orphanGrace, holder: holder, logger: logger))
    }
    return WatchdogRunner(
        lease: LeaderLease(holder: holder, ttl: config.leaseTTL, client: postgres, logger: logger), sweeps: sweeps,
        metrics: dependencies.metrics, logger: logger)
}
