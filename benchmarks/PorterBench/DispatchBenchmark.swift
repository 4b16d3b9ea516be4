import Foundation
import Hummingbird
import Logging
import PorterEmulators
import PorterKit
import PostgresNIO
import ServiceLifecycle
import _CryptoExtras

/// The latency from a task's commit (what the webhook gateway does) to its Fly create request
/// arriving at Fly, through a real `TaskDispatcher` talking to the GitHub and Fly emulators over
/// loopback HTTP. Every user first runs one warm-up task, so installation tokens are cached and
/// Fly apps checked; then `users × tasksPerUser` tasks are committed at `rate` per second.
struct DispatchBenchmark {
    let users: Int
    let tasksPerUser: Int
    let rate: Int
    let logger: Logger

    func run(_ database: DatabaseURL) async throws {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let github = try GitHubEmulator(
            app: EmulatedGitHubApp(id: 1, slug: "porter", publicKeyPEM: key.publicKey.pemRepresentation))
        let fly = FlyEmulator(options: .init(images: ["quick": ["/bin/sh", "-c", "exit 0"]], startDelay: .zero))
        defer { fly.shutdown() }
        let (githubPort, flyPort) = (try freePort(), try freePort())
        github.baseURL = "http://127.0.0.1:\(githubPort)"
        let keyring = try EncryptionKeyring(keys: [("bench", (0..<32).map { _ in UInt8.random(in: 0...255) })])

        var postgresLogger = logger
        postgresLogger.logLevel = .error
        let postgres = PostgresClient(
            configuration: database.clientConfiguration(maximumConnections: 24), backgroundLogger: postgresLogger)
        let githubClient = GitHubClient(
            endpoints: GitHubEndpoints(apiURL: URL(string: github.baseURL)!, webURL: URL(string: github.baseURL)!),
            app: GitHubAppCredentials(appID: 1, slug: "porter", privateKeyPEM: key.pemRepresentation), logger: logger)
        let secrets = PostgresUserSecretStore(client: postgres, keyring: keyring, logger: logger)
        let flySettings = FlySettings(
            apiURL: URL(string: "http://127.0.0.1:\(flyPort)")!, token: nil, app: nil, org: nil)
        let publicURL = URL(string: "https://porter.example.com")!
        let control = PostgresControlRepository(client: postgres, logger: logger)
        let dispatcher = TaskDispatcher(
            queue: PostgresJobQueue(client: postgres, logger: logger),
            wakeups: JobWakeups(client: postgres, logger: logger),
            processor: DispatchProcessor(
                repository: PostgresDispatchRepository(client: postgres, logger: logger), github: githubClient,
                secrets: secrets,
                targets: WorkerTargets(
                    runtime: .fly, fly: flySettings,
                    shape: MachineShape(image: "quick"), local: nil, metrics: nil, logger: logger),
                keyring: keyring,
                settings: DispatchSettings(
                    publicURL: publicURL,
                    callbackURL: URL(string: "https://porter.example.com/callbacks")!,
                    limits: TaskLimits(maxActivePerUser: tasksPerUser + 1), defaultKeyNames: []),
                logger: logger),
            control: ControlProcessor(repository: control, github: githubClient, publicURL: publicURL, logger: logger),
            cancel: CancelProcessor(
                repository: control, stopper: WorkerRemover(fly: flySettings, secrets: secrets, logger: logger),
                publicURL: publicURL, grace: .seconds(45), logger: logger),
            owner: "bench", logger: logger)
        let emulators: [any Service] = [
            Application(
                router: github.router(), configuration: .init(address: .hostname("127.0.0.1", port: githubPort)),
                logger: logger),
            fly.application(host: "127.0.0.1", port: flyPort, logger: logger),
        ]
        let group = ServiceGroup(
            configuration: .init(
                services: [postgres] + emulators + [dispatcher], gracefulShutdownSignals: [.sigint], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            defer { tasks.cancelAll() }
            let committed = try await drive(postgres: postgres, github: github, fly: fly, keyring: keyring)
            report(committed, fly: fly)
            await group.triggerGracefulShutdown()
        }
    }

    /// Seeds, warms up, then commits the measured tasks; returns when each is commit time.
    func drive(
        postgres: PostgresClient, github: GitHubEmulator, fly: FlyEmulator, keyring: EncryptionKeyring
    ) async throws -> [UUID: ContinuousClock.Instant] {
        _ = try await Migrator(logger: logger).migrate(postgres)
        for table in ["jobs", "task_events", "task_attempts", "github_side_effects", "tasks", "user_secrets"] {
            try await postgres.query(PostgresQuery(unsafeSQL: "DELETE FROM \(table)"), logger: logger)
        }
        try await postgres.query("DELETE FROM users", logger: logger)
        let secrets = PostgresUserSecretStore(client: postgres, keyring: keyring, logger: logger)
        fly.addOrganization("bench")
        var seats: [(user: Int64, login: String, installation: Int, repository: Int)] = []
        for index in 0..<users {
            let login = "b\(index)"
            let repository = try await github.addRepository(owner: login, name: "repo")
            let installation = github.addInstallation(account: login)
            for issue in 1...(tasksPerUser + 1) {
                github.addIssue(owner: login, repo: "repo", title: "Issue \(issue)", author: login)
            }
            let token = "FlyV1 fm2_\(login)benchtoken0123456789abcdef"
            fly.addApp("app-\(login)", org: "bench")
            fly.addToken(token, scope: .organization("bench"))
            let id = Int64(90_000 + index)
            try await postgres.query("INSERT INTO users (id, login) VALUES (\(id), \(login))", logger: logger)
            try await postgres.query(
                "INSERT INTO user_settings (user_id, fly_app) VALUES (\(id), \("app-\(login)"))", logger: logger)
            try await secrets.put(userID: id, name: "ANTHROPIC_API_KEY", value: "sk-ant-\(login)-0123456789")
            try await secrets.put(userID: id, name: "FLY_API_TOKEN", value: token)
            seats.append((id, login, installation, repository))
        }
        // Warm-up: one task per user, so tokens are cached and apps checked before measuring.
        var warmUp: [UUID] = []
        for seat in seats { warmUp.append(try await commit(seat, issue: 1, postgres: postgres)) }
        try await waitUntilRunning(Set(warmUp), postgres: postgres)

        var committed: [UUID: ContinuousClock.Instant] = [:]
        let interval = Duration.seconds(1) / rate
        var next = ContinuousClock.now
        for round in 0..<tasksPerUser {
            for seat in seats {
                try await Task.sleep(until: next, clock: .continuous)
                next += interval
                let id = try await commit(seat, issue: round + 2, postgres: postgres)
                committed[id] = ContinuousClock.now
            }
        }
        try await waitUntilRunning(Set(committed.keys), postgres: postgres)
        return committed
    }

    /// What the gateway commits for a command: the task, its job and the notification, in one transaction.
    func commit(
        _ seat: (user: Int64, login: String, installation: Int, repository: Int), issue: Int,
        postgres: PostgresClient
    ) async throws -> UUID {
        let id = UUID()
        try await postgres.withTransaction(logger: logger) { connection in
            try await connection.query(
                """
                INSERT INTO tasks (id, installation_id, repository_id, repository_full_name, issue_number,
                    requester_id, requester_login, agent, instructions)
                VALUES (\(id), \(seat.installation), \(seat.repository), \("\(seat.login)/repo"), \(issue),
                    \(seat.user), \(seat.login), 'claude', 'benchmark')
                """, logger: logger)
            try await PostgresJobQueue.enqueue(.dispatch(id, priority: .normal), on: connection, logger: logger)
        }
        return id
    }

    func waitUntilRunning(_ ids: Set<UUID>, postgres: PostgresClient) async throws {
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            let running =
                try await postgres.query(
                    "SELECT count(*) FROM tasks WHERE id = ANY(\(Array(ids))) AND status = 'running'", logger: logger
                ).collect().first?.decode(Int.self) ?? 0
            if running == ids.count { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw BenchmarkError("tasks did not all reach running within 120 s")
    }

    func report(_ committed: [UUID: ContinuousClock.Instant], fly: FlyEmulator) {
        var firstCreate: [UUID: ContinuousClock.Instant] = [:]
        for request in fly.receivedRequests where request.action == "create_machine" {
            guard let data = request.body.data(using: .utf8),
                let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                let name = object["name"] as? String, name.hasPrefix("porter-"),
                let id = UUID(uuidString: String(name.dropFirst("porter-".count).prefix(36)))
            else { continue }
            firstCreate[id] = min(firstCreate[id] ?? request.receivedAt, request.receivedAt)
        }
        let latencies = committed.compactMap { id, at in firstCreate[id].map { seconds($0 - at) * 1000 } }.sorted()
        print(
            String(
                format:
                    "dispatch: %d tasks committed at %d/s across %d users; commit → Fly create request: "
                    + "p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms",
                latencies.count, rate, users, percentile(latencies, 0.5), percentile(latencies, 0.9),
                percentile(latencies, 0.99), latencies.last ?? .nan))
    }
}

struct BenchmarkError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
