import Foundation
import PorterKit

struct WatchdogConfig: ServiceConfiguration {
    var basics: ServiceBasics
    var publicURL: URL
    var encryptionKeys: EncryptionKeyring
    var github: GitHubEndpoints
    var app: GitHubAppCredentials
    var fly: FlySettings
    var runtime: WorkerRuntime
    var limits: TaskLimits
    /// `PORTER_WATCHDOG_LEASE`: how long the leader's lease runs without a renewal.
    var leaseTTL: Duration
    /// `PORTER_SWEEP_INTERVAL`: how often deadlines, heartbeats and stranded tasks are swept.
    var sweepInterval: Duration
    /// `PORTER_HEARTBEAT_TIMEOUT`: how long a running worker may stay silent before it is looked up.
    var heartbeatTimeout: Duration
    /// `PORTER_REPORT_GRACE`: how long after its deadline a task's report is still awaited.
    var reportGrace: Duration
    /// `PORTER_ORPHAN_SWEEP_INTERVAL` and `PORTER_ORPHAN_GRACE`.
    var orphanInterval: Duration
    var orphanGrace: Duration
    /// `PORTER_INFRA_RETRIES`: new attempts a task gets after its worker was lost.
    var infraRetries: Int
    /// `PORTER_RECONCILE_*`: how missed webhook deliveries are found and redelivered.
    var reconcile: DeliveryReconcilerSettings
    /// `PORTER_STATUS_REFRESH` and `PORTER_STATUS_REFRESH_BUDGET`: how often a running task's status
    /// comment is edited again, and how many such edits an installation gets a minute.
    var statusRefresh: Duration
    var statusRefreshBudget: Int
    /// `PORTER_RETAIN_*` and `PORTER_RETENTION_*`: how long old rows are kept and how they are pruned.
    var retention: RetentionSettings

    var secretValues: [String] { [app.privateKeyPEM.value] + [fly.token?.value].compactMap { $0 } }

    static func load(from environment: [String: String]) throws(ConfigurationError) -> Self {
        var env = EnvironmentReader(environment)
        let basics = ServiceBasics.read(from: &env, defaultPort: 8084)
        let publicURL = env.publicURL()
        let keys = env.encryptionKeys()
        let github = GitHubEndpoints.read(from: &env)
        let app = GitHubAppCredentials.read(from: &env)
        let fly = FlySettings.read(from: &env)
        let runtime = env.workerRuntime()
        let limits = TaskLimits.read(from: &env)
        let leaseTTL = env.optional("PORTER_WATCHDOG_LEASE", default: .seconds(15), Parse.duration)
        let sweepInterval = env.optional("PORTER_SWEEP_INTERVAL", default: .seconds(15), Parse.duration)
        let heartbeatTimeout = env.optional("PORTER_HEARTBEAT_TIMEOUT", default: .seconds(90), Parse.duration)
        let reportGrace = env.optional(
            "PORTER_REPORT_GRACE", default: .seconds(TaskToken.reportGrace), Parse.duration)
        let orphanInterval = env.optional("PORTER_ORPHAN_SWEEP_INTERVAL", default: .seconds(300), Parse.duration)
        let orphanGrace = env.optional("PORTER_ORPHAN_GRACE", default: .seconds(600), Parse.duration)
        let infraRetries = env.optional("PORTER_INFRA_RETRIES", default: 2, Parse.count)
        let reconcile = DeliveryReconcilerSettings.read(from: &env)
        let retention = RetentionSettings.read(from: &env)
        let statusRefresh = env.optional("PORTER_STATUS_REFRESH", default: .seconds(120), Parse.duration)
        let statusRefreshBudget = env.optional("PORTER_STATUS_REFRESH_BUDGET", default: 10, Parse.positiveInt)
        try env.validate()
        return Self(
            basics: basics!, publicURL: publicURL!, encryptionKeys: keys!, github: github, app: app!, fly: fly,
            runtime: runtime, limits: limits, leaseTTL: leaseTTL, sweepInterval: sweepInterval,
            heartbeatTimeout: heartbeatTimeout, reportGrace: reportGrace, orphanInterval: orphanInterval,
            orphanGrace: orphanGrace, infraRetries: infraRetries, reconcile: reconcile,
            statusRefresh: statusRefresh, statusRefreshBudget: statusRefreshBudget,
            retention: retention)
    }
}
