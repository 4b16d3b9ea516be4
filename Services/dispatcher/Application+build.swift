import Foundation
import Hummingbird
import PorterKit

func buildApplication(
    config: DispatcherConfig, dependencies: ServiceDependencies
) async throws
    -> some ApplicationProtocol
{
    let router = buildRouter(config: config, dependencies: dependencies)
    let github = GitHubClient(
        endpoints: config.github, app: config.app, metrics: dependencies.metrics, logger: dependencies.logger)
    return PorterApplication.make(
        router: router, basics: config.basics, dependencies: dependencies,
        workers: [
            dispatcher(config: config, github: github, dependencies: dependencies),
            sideEffectDeliverer(config: config, github: github, dependencies: dependencies),
        ])
}

func buildRouter(config: DispatcherConfig, dependencies: ServiceDependencies) -> Router<BasicRequestContext> {
    PorterApplication.router(dependencies: dependencies)
}

/// A name for this process in job leases: distinct across replicas and restarts.
func leaseOwner() -> String {
    "dispatcher-\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))"
}

/// What a dispatcher is built with that no operator sets: production takes the defaults; tests build
/// the dispatcher through `dispatcher(config:github:dependencies:tuning:)` too, changing only these.
struct DispatcherTuning: Sendable {
    /// The name this process claims jobs under.
    var owner = leaseOwner()
    /// Waits between tries of a failing job; the budget's size and length are `config.budget`'s.
    var retry = FailureBudget().retry
    /// How often a task waiting for a slot, or behind another task on its issue, looks again.
    var waitPoll = DispatchSettings.defaultWaitPoll
    /// Where local workers keep their state.
    var workerStateDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("porter-workers")
    /// Whether Fly calls are paced through Postgres with every other replica.
    var sharedFlyPacing = true
    /// The store of people's keys the dispatcher reads, given the one it would use.
    var secrets: @Sendable (PostgresUserSecretStore) -> any UserSecretStore = { $0 }
}

/// Moves queued tasks to running workers.
func dispatcher(
    config: DispatcherConfig, github: GitHubClient, dependencies: ServiceDependencies,
    tuning: DispatcherTuning = DispatcherTuning()
) -> TaskDispatcher {
    let logger = dependencies.logger
    let local =
        config.workerCommand.isEmpty
        ? nil
        : LocalWorkerLauncher(command: config.workerCommand, stateDirectory: tuning.workerStateDirectory)
    let secrets = tuning.secrets(
        PostgresUserSecretStore(client: dependencies.postgres, keyring: config.encryptionKeys, logger: logger))
    // Replicas pace their Fly calls together through Postgres, so N of them stay within Fly's
    // per-app limits instead of sending N times Fly's rate.
    let pacer = tuning.sharedFlyPacing ? PostgresFlyPacer(client: dependencies.postgres, logger: logger) : nil
    var budget = config.budget
    budget.retry = tuning.retry
    let processor = DispatchProcessor(
        repository: PostgresDispatchRepository(client: dependencies.postgres, logger: logger),
        github: github,
        secrets: secrets,
        targets: WorkerTargets(
            runtime: config.runtime, fly: config.fly, shape: config.machine, local: local, pacer: pacer,
            metrics: dependencies.metrics, logger: logger),
        keyring: config.encryptionKeys,
        settings: DispatchSettings(
            publicURL: config.publicURL, callbackURL: config.callbackURL, limits: config.limits,
            defaultKeyNames: Set(config.defaultKeys.keys.keys), signInWait: config.signInWait,
            waitPoll: tuning.waitPoll, budget: budget, followUpsOnAnyPullRequest: config.followUpsOnAnyPullRequest,
            demoAgent: config.demoAgent),
        crashPoints: config.crashPoints, metrics: dependencies.metrics, logger: logger)
    let control = PostgresControlRepository(client: dependencies.postgres, logger: logger)
    return TaskDispatcher(
        queue: PostgresJobQueue(client: dependencies.postgres, logger: logger),
        wakeups: JobWakeups(client: dependencies.postgres, logger: logger),
        processor: processor,
        control: ControlProcessor(
            repository: control, github: github, publicURL: config.publicURL, budget: budget, logger: logger),
        cancel: CancelProcessor(
            repository: control,
            stopper: WorkerRemover(fly: config.fly, secrets: secrets, pacer: pacer, logger: logger),
            publicURL: config.publicURL, grace: config.stopGrace, budget: budget, logger: logger),
        owner: tuning.owner, lease: config.lease, concurrency: config.concurrency,
        crashPoints: config.crashPoints, metrics: dependencies.metrics, logger: logger)
}

/// Posts the replies and other GitHub side effects the other services queue.
func sideEffectDeliverer(
    config: DispatcherConfig, github: GitHubClient, dependencies: ServiceDependencies
) -> SideEffectDeliverer {
    SideEffectDeliverer(
        queue: PostgresSideEffectQueue(client: dependencies.postgres, logger: dependencies.logger),
        github: github,
        wakeups: JobWakeups(
            client: dependencies.postgres, channel: SideEffectDeliverer.channel, logger: dependencies.logger),
        owner: leaseOwner(), retry: SideEffectRetry(patience: config.sideEffectPatience),
        metrics: dependencies.metrics, logger: dependencies.logger)
}
