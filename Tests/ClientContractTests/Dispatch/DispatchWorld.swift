import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import PorterEmulators
import PorterKit
import PorterTestSupport
import PostgresNIO
import _CryptoExtras

@testable import Dispatcher

/// A dispatcher wired to real Postgres, the GitHub emulator (acme/widgets, issue #1) and the Fly
/// emulator (one org, one app, the operator's token), driven one job at a time by the test. The
/// dispatcher is the service's own: its configuration is read from an operator's environment and
/// built by the function the dispatcher binary uses.
struct DispatchWorld: Sendable {
    static let publicURL = URL(string: "https://porter.example.com")!
    static let keyring = try! EncryptionKeyring(keys: [("k1", Array(repeating: 3, count: 32))])

    let github: GitHubWorld
    let fly: FlyEmulator
    let flyURL: URL
    let database: PostgresClient
    let databaseURL: DatabaseURL
    let client: GitHubClient
    let secrets: RecordingSecretStore

    /// Options a test may change before building the dispatcher.
    struct Options: Sendable {
        var maxActivePerUser = 5
        var defaultKeys: Set<String> = []
        var signInWait: Duration = .seconds(60)
        var operatorFlyToken: String? = FlyHarness.orgToken
        var operatorFlyApp: String? = FlyHarness.app
        var flyOrg: String? = FlyHarness.org
        /// Set to run workers as local processes with this command instead of on Fly.
        var localCommand: [String]?
        var callbackURL = URL(string: "https://porter.example.com/callbacks")!
        var timeout: Duration = .seconds(1800)
        var image = "sleeper"
        /// How long a worker asked to stop may take before it is removed.
        var stopGrace: Duration = .seconds(1)
        /// Failures are retried at once here; the cap is high so that a slow machine, re-claiming a job
        /// sooner than a fast one, never spends it. Tests of the cap set their own.
        var budget = FailureBudget(
            maxFailures: 1000, maxDuration: .seconds(600),
            retry: RetryPolicy(maxAttempts: .max, baseDelay: .milliseconds(20), maxDelay: .milliseconds(50)))
        /// Pace Fly calls through Postgres with every other dispatcher, as the dispatcher service does.
        var sharedFlyPacing = true
        var followUpsOnAnyPullRequest = false
        /// `PORTER_DEMO_AGENT`: demo tasks run, and their workers are told so.
        var demoAgent = false
        /// The lease owner; replicas in one test need their own.
        var owner = "test-dispatcher"
    }

    /// - Parameter flyRateLimits: whether the Fly emulator answers 429 past Fly's limits.
    static func run(
        flyImages: [String: [String]] = [:], flyRateLimits: Bool = false,
        files: [String: String] = ["README.md": "# Widgets\n", "AGENTS.md": "Run swift test.\n"],
        _ body: @escaping @Sendable (DispatchWorld) async throws -> Void
    ) async throws {
        let github = try await GitHubWorld.make(files: files)
        try await TestDatabase.withClient { database, databaseURL in
            try await FlyHarness.withEmulator(rateLimits: flyRateLimits, moreImages: flyImages) { fly, flyURL in
                try await github.live { client, _ in
                    var client = client
                    // GitHub's one mutation a second per installation would make these tests crawl.
                    client.mutationSpacing = .milliseconds(5)
                    let secrets = RecordingSecretStore(
                        PostgresUserSecretStore(client: database, keyring: keyring, logger: TestDatabase.logger))
                    try await body(
                        DispatchWorld(
                            github: github, fly: fly, flyURL: flyURL, database: database, databaseURL: databaseURL,
                            client: client, secrets: secrets))
                }
            }
        }
    }

    var emulator: GitHubEmulator { github.emulator }

    /// The operator's environment for `options`, as the dispatcher binary would be started with it.
    func environment(_ options: Options) -> [String: String] {
        var env = [
            "DATABASE_URL": databaseURL.connectionString,
            "PORTER_PUBLIC_URL": Self.publicURL.absoluteString,
            "PORTER_CALLBACK_URL": options.callbackURL.absoluteString,
            "PORTER_ENCRYPTION_KEYS": "k1:" + Data(repeating: 3, count: 32).base64EncodedString(),
            "GITHUB_APP_ID": String(GitHubTestKeys.appID), "GITHUB_APP_SLUG": "porter",
            "GITHUB_APP_PRIVATE_KEY": GitHubTestKeys.app.pemRepresentation,
            "GITHUB_API_URL": emulator.baseURL, "GITHUB_URL": emulator.baseURL,
            "FLY_API_URL": flyURL.absoluteString,
            "PORTER_RUNTIME": options.localCommand == nil ? "fly" : "local",
            "PORTER_WORKER_IMAGE": options.image,
            "PORTER_MACHINE_CPUS": "1", "PORTER_MACHINE_MEMORY_MB": "256", "PORTER_MACHINE_REGION": "ams",
            "PORTER_TASK_TIMEOUT": Self.setting(options.timeout),
            "PORTER_MAX_ACTIVE_PER_USER": String(options.maxActivePerUser),
            "PORTER_SIGN_IN_WAIT": Self.setting(options.signInWait),
            "PORTER_STOP_GRACE": Self.setting(options.stopGrace),
            "PORTER_DISPATCH_MAX_FAILURES": String(options.budget.maxFailures),
            "PORTER_DISPATCH_RETRY_BUDGET": Self.setting(options.budget.maxDuration),
            "PORTER_FOLLOWUPS_ON_ANY_PR": String(options.followUpsOnAnyPullRequest),
            "PORTER_DEMO_AGENT": String(options.demoAgent),
        ]
        env["FLY_API_TOKEN"] = options.operatorFlyToken
        env["FLY_APP"] = options.operatorFlyApp
        env["FLY_ORG"] = options.flyOrg
        env["PORTER_WORKER_COMMAND"] = options.localCommand?.joined(separator: " ")
        for name in options.defaultKeys { env["PORTER_DEFAULT_\(name)"] = "operator-\(name.lowercased())-0123456789" }
        return env
    }

    /// A duration as an operator writes it: whole seconds, or milliseconds below one.
    static func setting(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        return attoseconds == 0 ? "\(seconds)s" : "\(seconds * 1000 + attoseconds / 1_000_000_000_000_000)ms"
    }

    /// The dispatcher binary's own dispatcher, configured by `options` through its environment.
    func dispatcher(_ options: Options = Options()) -> TaskDispatcher {
        let config: DispatcherConfig
        do {
            config = try DispatcherConfig.load(from: environment(options))
        } catch {
            preconditionFailure("the test's dispatcher environment is refused: \(error)")
        }
        let secrets = secrets
        var tuning = DispatcherTuning()
        tuning.owner = options.owner
        tuning.retry = options.budget.retry
        tuning.waitPoll = .milliseconds(50)
        tuning.workerStateDirectory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "porter-dispatch-\(UUID().uuidString)")
        tuning.sharedFlyPacing = options.sharedFlyPacing
        tuning.secrets = { _ in secrets }
        return Dispatcher.dispatcher(
            config: config, github: client,
            dependencies: ServiceDependencies(
                service: "dispatcher", postgres: database, metrics: ServiceMetrics(service: "dispatcher"),
                logger: TestDatabase.logger),
            tuning: tuning)
    }

    /// A command from `login` on issue #1 (or `issue`), stored as the gateway stores it: the
    /// triggering comment on GitHub, the task, and its dispatch job.
    @discardableResult
    func request(
        by login: String, agent: Agent = .claude, issue: Int = 1, userID: Int64 = 501, instructions: String = "fix it",
        draft: Bool = true
    ) async throws -> UUID {
        let comment = try await emulator.comment(
            owner: GitHubWorld.owner, repo: GitHubWorld.repo, issue: issue, author: login,
            body: "@porter \(agent.rawValue) fix it")
        return try await enqueue(
            NewTask(
                issue: IssueReference(
                    installationID: Int64(github.installationID), repositoryID: 77,
                    repositoryFullName: "\(GitHubWorld.owner)/\(GitHubWorld.repo)", number: issue),
                requester: Requester(id: userID, login: login),
                request: TaskRequest(agent: agent, draft: draft, instructions: instructions),
                triggerCommentID: Int64(comment)))
    }

    /// Stores `task` and its dispatch job, as the gateway does.
    func enqueue(_ task: NewTask) async throws -> UUID {
        let id = try await PostgresTaskRepository(client: database, logger: TestDatabase.logger).create(task).id
        try await PostgresJobQueue(client: database, logger: TestDatabase.logger).enqueue(
            .dispatch(id, priority: .normal))
        return id
    }

    /// Gives `login` a Porter account, with `secrets` stored sealed and Fly settings.
    func signUp(
        _ login: String, id: Int64 = 501, secrets values: [String: String] = [:], flyApp: String? = nil,
        flyOrg: String? = nil
    ) async throws {
        try await database.query("INSERT INTO users (id, login) VALUES (\(id), \(login))", logger: TestDatabase.logger)
        try await database.query(
            "INSERT INTO user_settings (user_id, fly_app, fly_org) VALUES (\(id), \(flyApp), \(flyOrg))",
            logger: TestDatabase.logger)
        for (name, value) in values { try await secrets.inner.put(userID: id, name: name, value: value) }
    }

    /// Runs ready dispatch jobs until none is ready, then delivers the GitHub side effects they queued.
    func settle(_ dispatcher: TaskDispatcher) async throws {
        while try await dispatcher.runOne() {}
        let deliverer = SideEffectDeliveryTests.deliverer(database, client)
        try await SideEffectDeliveryTests.drain(deliverer, database)
    }

    func status(_ id: UUID) async throws -> (String, String?) {
        try await database.query("SELECT status, status_reason FROM tasks WHERE id = \(id)").collect().first!
            .decode((String, String?).self)
    }

    var comments: [String] { emulator.comments(owner: GitHubWorld.owner, repo: GitHubWorld.repo, issue: 1) }
    var labels: [String] { emulator.labels(owner: GitHubWorld.owner, repo: GitHubWorld.repo, issue: 1) }
}

/// The real secret store, counting what the dispatcher asks of it.
final class RecordingSecretStore: UserSecretStore, @unchecked Sendable {
    let inner: PostgresUserSecretStore
    private let lock = NSLock()
    private var reads: [String] = []

    init(_ inner: PostgresUserSecretStore) { self.inner = inner }

    /// Every read, as `names:<user>` or `value:<user>:<name>`.
    var accesses: [String] { lock.withLock { reads } }

    func put(userID: Int64, name: String, value: String) async throws {
        try await inner.put(userID: userID, name: name, value: value)
    }

    func names(userID: Int64) async throws -> Set<String> {
        lock.withLock { reads.append("names:\(userID)") }
        return try await inner.names(userID: userID)
    }

    func value(userID: Int64, name: String) async throws -> String? {
        lock.withLock { reads.append("value:\(userID):\(name)") }
        return try await inner.value(userID: userID, name: name)
    }
}
