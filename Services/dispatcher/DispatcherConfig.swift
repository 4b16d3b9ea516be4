import Foundation
import PorterKit

struct DispatcherConfig: ServiceConfiguration {
    var basics: ServiceBasics
    var publicURL: URL
    /// `PORTER_CALLBACK_URL`: the base URL Machines use to reach callback-receiver.
    var callbackURL: URL
    var encryptionKeys: EncryptionKeyring
    var github: GitHubEndpoints
    var app: GitHubAppCredentials
    var fly: FlySettings
    var runtime: WorkerRuntime
    var machine: MachineShape
    var limits: TaskLimits
    var defaultKeys: DefaultAgentKeys
    /// `PORTER_WORKER_COMMAND`: the worker entrypoint a local runtime starts, split on spaces.
    var workerCommand: [String]
    /// `PORTER_DISPATCH_CONCURRENCY`: tasks one dispatcher moves along at once.
    var concurrency: Int
    /// `PORTER_DISPATCH_LEASE`: how long a claimed job stays with a dispatcher that stops answering.
    var lease: Duration
    /// `PORTER_SIGN_IN_WAIT`: how long a task waits for a requester without an account to sign in.
    var signInWait: Duration
    /// `PORTER_STOP_GRACE`: how long a worker asked to stop may take to report before it is removed.
    var stopGrace: Duration
    /// `PORTER_DISPATCH_MAX_FAILURES` and `PORTER_DISPATCH_RETRY_BUDGET`: how long a job keeps trying
    /// through transient failures before its task ends failed.
    var budget: FailureBudget
    /// `PORTER_SIDE_EFFECT_PATIENCE`: how long a GitHub write is retried through an outage before it is
    /// given up (a pull request never is).
    var sideEffectPatience: Duration
    /// `PORTER_FAULT_CRASH_POINTS`: crash-test fault injection; never set in production.
    var crashPoints: CrashPoints
    /// `PORTER_FOLLOWUPS_ON_ANY_PR`: follow-ups also on same-repository pull requests Porter did not open.
    var followUpsOnAnyPullRequest: Bool
    /// `PORTER_DEMO_AGENT`: tasks of the built-in `demo` agent run (default false).
    var demoAgent: Bool

    var secretValues: [String] {
        [app.privateKeyPEM.value] + [fly.token?.value].compactMap { $0 } + defaultKeys.keys.values.map(\.value)
    }

    static func load(from environment: [String: String]) throws(ConfigurationError) -> Self {
        var env = EnvironmentReader(environment)
        let basics = ServiceBasics.read(from: &env, defaultPort: 8083)
        let publicURL = env.publicURL()
        let callbackURL = env.required("PORTER_CALLBACK_URL", Parse.httpURL)
        let keys = env.encryptionKeys()
        let github = GitHubEndpoints.read(from: &env)
        let app = GitHubAppCredentials.read(from: &env)
        let fly = FlySettings.read(from: &env)
        let runtime = env.workerRuntime()
        let machine = MachineShape.read(from: &env, runtime: runtime)
        let limits = TaskLimits.read(from: &env)
        let defaultKeys = DefaultAgentKeys.read(from: &env)
        let workerCommand = env.optional("PORTER_WORKER_COMMAND", default: []) { value in
            value.split(separator: " ").map(String.init)
        }
        let concurrency = env.optional("PORTER_DISPATCH_CONCURRENCY", default: 16, Parse.positiveInt)
        let lease = env.optional("PORTER_DISPATCH_LEASE", default: .seconds(60), Parse.duration)
        let signInWait = env.optional("PORTER_SIGN_IN_WAIT", default: .seconds(15 * 60), Parse.duration)
        let stopGrace = env.optional("PORTER_STOP_GRACE", default: .seconds(45), Parse.duration)
        let maxFailures = env.optional("PORTER_DISPATCH_MAX_FAILURES", default: 30, Parse.positiveInt)
        let retryBudget = env.optional("PORTER_DISPATCH_RETRY_BUDGET", default: .seconds(30 * 60), Parse.duration)
        let sideEffectPatience = env.optional(
            "PORTER_SIDE_EFFECT_PATIENCE", default: SideEffectRetry.defaultPatience, Parse.duration)
        let crashPoints = env.optional("PORTER_FAULT_CRASH_POINTS", default: .none, CrashPoints.parse)
        let followUpsOnAnyPullRequest = env.optional("PORTER_FOLLOWUPS_ON_ANY_PR", default: false, Parse.bool)
        let demoAgent = env.demoAgent()
        try env.validate()
        return Self(
            basics: basics!, publicURL: publicURL!, callbackURL: callbackURL!, encryptionKeys: keys!, github: github,
            app: app!, fly: fly, runtime: runtime, machine: machine, limits: limits, defaultKeys: defaultKeys,
            workerCommand: workerCommand, concurrency: concurrency, lease: lease, signInWait: signInWait,
            stopGrace: stopGrace, budget: FailureBudget(maxFailures: maxFailures, maxDuration: retryBudget),
            sideEffectPatience: sideEffectPatience, crashPoints: crashPoints,
            followUpsOnAnyPullRequest: followUpsOnAnyPullRequest, demoAgent: demoAgent)
    }
}
