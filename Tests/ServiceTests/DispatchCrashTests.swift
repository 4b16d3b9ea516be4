import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import PorterEmulators
import PorterKit
import PorterTestSupport
import PostgresNIO
import Synchronization
import Testing
import _CryptoExtras

/// Four real dispatcher processes on one queue of 500 tasks, killed with SIGKILL at the dangerous
/// points and facing failing Fly creates: every attempt still gets exactly one Machine, and the
/// per-user and per-issue limits hold throughout.
@Suite(.serialized) struct DispatchCrashTests {
    static let users = 50
    static let tasksPerUser = 10
    static let issuesPerRepository = 8
    static let limit = 3
    static let org = "crash-org"
    static let crashPoints = "after_claim=0.01,after_attempt=0.01,create_in_flight=0.01,after_create=0.01"

    /// Everything seeded: per user a repository they own, its installation, and a Fly app and token.
    struct Seed {
        var repositoryIDs: [Int] = []
        var installationIDs: [Int] = []
    }

    @Test func killedDispatchersNeverMakeTwoMachinesForAnAttemptOrBreakTheLimits() async throws {
        let publicKey = try _RSA.Signing.PrivateKey(pemRepresentation: ServiceEnvironment.appPrivateKeyPEM).publicKey
        let github = try GitHubEmulator(
            app: EmulatedGitHubApp(id: 12345, slug: "porter", publicKeyPEM: publicKey.pemRepresentation))
        let fly = FlyEmulator(
            options: .init(images: ["quick": ["/bin/sh", "-c", "exit 0"]], startDelay: .milliseconds(20)))
        defer { fly.shutdown() }
        fly.addOrganization(Self.org)
        // 3 % of creates fail before taking effect, 2 % after (the answer is lost on the way back).
        fly.faults.add(.init(method: "POST", pathPrefix: "/v1/apps/", status: 503, probability: 0.03))
        fly.faults.add(
            .init(method: "POST", pathPrefix: "/v1/apps/", status: 502, probability: 0.02, afterHandling: true))
        var seed = Seed()
        for user in 0..<Self.users {
            let login = "u\(user)"
            seed.repositoryIDs.append(try await github.addRepository(owner: login, name: "repo"))
            seed.installationIDs.append(github.addInstallation(account: login))
            for issue in 1...Self.issuesPerRepository {
                github.addIssue(owner: login, repo: "repo", title: "Issue \(issue)", author: login)
            }
            fly.addApp("app-\(login)", org: Self.org)
            fly.addToken(Self.flyToken(login), scope: .organization(Self.org))
        }
        let seeded = seed
        try await TestDatabase.withClient { database, url in
            try await Self.seedTasks(database, seeded)
            try await Application(router: github.router()).test(.live) { githubClient in
                github.baseURL = "http://127.0.0.1:\(githubClient.port!)"
                try await Application(router: fly.buildRouter()).test(.live) { flyClient in
                    try await Self.runDispatchers(
                        database: database, url: url, githubURL: github.baseURL,
                        flyURL: "http://127.0.0.1:\(flyClient.port!)", fly: fly)
                }
            }
        }
    }

    static func flyToken(_ login: String) -> String { "FlyV1 fm2_\(login)token0123456789abcdefghij" }

    /// Users with accounts, their sealed keys and Fly settings, and 500 queued tasks with their jobs,
    /// two of every user's ten on an issue that already has one.
    static func seedTasks(_ database: PostgresClient, _ seed: Seed) async throws {
        let keyring = try EncryptionKeyring.parse(ServiceEnvironment.encryptionKeys)
        let secrets = PostgresUserSecretStore(client: database, keyring: keyring, logger: TestDatabase.logger)
        let tasks = PostgresTaskRepository(client: database, logger: TestDatabase.logger)
        for user in 0..<users {
            let login = "u\(user)"
            let id = Int64(10_000 + user)
            try await database.query("INSERT INTO users (id, login) VALUES (\(id), \(login))")
            try await database.query(
                "INSERT INTO user_settings (user_id, fly_app, fly_org) VALUES (\(id), \("app-\(login)"), \(org))")
            try await secrets.put(userID: id, name: "ANTHROPIC_API_KEY", value: "sk-ant-\(login)-0123456789abcdef")
            try await secrets.put(userID: id, name: "FLY_API_TOKEN", value: flyToken(login))
            for index in 0..<tasksPerUser {
                let task = try await tasks.create(
                    NewTask(
                        issue: IssueReference(
                            installationID: Int64(seed.installationIDs[user]),
                            repositoryID: Int64(seed.repositoryIDs[user]), repositoryFullName: "\(login)/repo",
                            number: index % issuesPerRepository + 1),
                        requester: Requester(id: id, login: login),
                        request: TaskRequest(agent: .claude, instructions: "task \(index)")))
                try await PostgresJobQueue(client: database, logger: TestDatabase.logger).enqueue(
                    .dispatch(task.id, priority: .normal))
            }
        }
    }

    static func runDispatchers(
        database: PostgresClient, url: DatabaseURL, githubURL: String, flyURL: String, fly: FlyEmulator
    ) async throws {
        var environment = ServiceEnvironment.minimal(for: "dispatcher", database: url)
        environment.merge([
            "GITHUB_API_URL": githubURL, "GITHUB_URL": githubURL, "FLY_API_URL": flyURL, "PORTER_RUNTIME": "fly",
            "PORTER_WORKER_IMAGE": "quick", "PORTER_MAX_ACTIVE_PER_USER": String(limit),
            "PORTER_DISPATCH_LEASE": "3s", "PORTER_FAULT_CRASH_POINTS": crashPoints, "LOG_LEVEL": "warning",
        ]) { $1 }
        let supervisor = Supervisor(environment: environment)
        defer { supervisor.stopAll() }
        for _ in 0..<4 { try supervisor.start() }

        let peaks = Mutex((perUser: 0, perIssue: 0))
        let total = users * tasksPerUser
        let deadline = ContinuousClock.now + .seconds(300)
        var settled = 0
        var series = Set<String>()
        var round = 0
        while ContinuousClock.now < deadline {
            try supervisor.restartDead()
            round += 1
            if round % 10 == 0 { series.formUnion(await supervisor.metricNames()) }
            let (perUser, perIssue) = try await activePeaks(database)
            peaks.withLock { $0 = (max($0.perUser, perUser), max($0.perIssue, perIssue)) }
            try await finishRunningTasks(database)
            settled =
                try await database.query(
                    "SELECT count(*) FROM tasks WHERE status IN ('running', 'succeeded', 'failed', 'timed_out', 'cancelled')"
                ).collect().first?.decode(Int.self) ?? 0
            if settled == total { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        series.formUnion(await supervisor.metricNames())
        supervisor.stopAll()
        // What the dispatchers exposed on /metrics while they worked.
        for name in [
            "porter_dispatcher_claims_total", "porter_dispatcher_queue_depth_jobs",
            "porter_dispatcher_github_calls_total", "porter_dispatcher_fly_calls_total",
            "porter_dispatcher_dispatch_duration_seconds_bucket",
        ] {
            #expect(series.contains(name), "\(name) never appeared on /metrics")
        }

        #expect(settled == total, "only \(settled) of \(total) tasks reached running or a terminal state")
        let failed = try await database.query("SELECT status_reason FROM tasks WHERE status = 'failed' LIMIT 5")
            .collect().map { try $0.decode(String?.self) ?? "" }
        #expect(failed.isEmpty, "\(failed)")
        #expect(peaks.withLock { $0.perUser } <= limit)
        #expect(peaks.withLock { $0.perIssue } <= 1)

        // Exactly one Machine per attempt, one attempt per task, and the attempt knows its Machine.
        let machines = fly.machines
        let byName = Dictionary(grouping: machines, by: \.name)
        #expect(byName.values.allSatisfy { $0.count == 1 }, "\(byName.filter { $0.value.count > 1 }.keys)")
        let attempts = try await database.query("SELECT task_id, number, machine_name, machine_id FROM task_attempts")
            .collect().map { try $0.decode((UUID, Int, String, String?).self) }
        #expect(attempts.count == total)
        #expect(Set(attempts.map(\.0)).count == total)
        #expect(machines.count == total)
        for (_, _, name, machineID) in attempts {
            #expect(
                machineID != nil && byName[name]?.first?.id == machineID, "attempt \(name) has \(machineID ?? "none")")
        }

        // No requester's key or Fly token ever reached a Machine config.
        let sent = fly.receivedRequests.filter { $0.action == "create_machine" }.map(\.body).joined()
        #expect(!sent.contains("sk-ant-") && !sent.contains("FlyV1") && !sent.contains("fm2_"))

        // The run was really disturbed: dispatchers died at the named points, and Fly failed creates.
        let deaths = supervisor.crashPointsHit
        #expect(deaths.count >= 3, "only \(deaths.count) dispatcher deaths")
        #expect(fly.faults.injectedCount > 0)
        print(
            "crash test: \(deaths.count) deaths \(Dictionary(grouping: deaths, by: { $0 }).mapValues(\.count)), "
                + "\(fly.faults.injectedCount) Fly faults, peaks \(peaks.withLock { $0 })")
    }

    /// The most tasks dispatching or running for one user, and for one issue, right now.
    static func activePeaks(_ database: PostgresClient) async throws -> (Int, Int) {
        let row = try await database.query(
            """
            SELECT
                coalesce((SELECT max(n) FROM (SELECT count(*) AS n FROM tasks
                    WHERE status IN ('dispatching', 'running') GROUP BY requester_id) AS u), 0),
                coalesce((SELECT max(n) FROM (SELECT count(*) AS n FROM tasks
                    WHERE status IN ('dispatching', 'running') GROUP BY repository_id, issue_number) AS i), 0)
            """
        ).collect().first
        return try row?.decode((Int, Int).self) ?? (0, 0)
    }

    /// Plays the finished workers: tasks running for a moment succeed, freeing their slots.
    static func finishRunningTasks(_ database: PostgresClient) async throws {
        try await database.query(
            """
            UPDATE tasks SET status = 'succeeded', status_reason = 'finished by the test'
            WHERE status = 'running' AND started_at < now() - interval '200 milliseconds'
            """)
    }
}

/// Keeps four dispatchers running: a dead one is replaced, and its last words are kept.
final class Supervisor: @unchecked Sendable {
    let environment: [String: String]
    private let lock = NSLock()
    private var processes: [ServiceProcess] = []
    private var deaths: [String] = []

    init(environment: [String: String]) { self.environment = environment }

    var crashPointsHit: [String] { lock.withLock { deaths } }

    func start() throws {
        var env = environment
        let port = try ServiceProcess.freePort()
        env["PORT"] = String(port)
        let process = try ServiceProcess.start("dispatcher", environment: env, port: port)
        lock.withLock { processes.append(process) }
    }

    func restartDead() throws {
        let dead = lock.withLock {
            let dead = processes.filter { !$0.isRunning }
            processes.removeAll { !$0.isRunning }
            return dead
        }
        for process in dead {
            let point =
                process.output.split(separator: "\n").last { $0.hasPrefix("crash point ") }
                .map { String($0.dropFirst("crash point ".count)) } ?? "exited: \(process.output.suffix(2000))"
            lock.withLock { deaths.append(point) }
            process.terminate()
            try start()
        }
    }

    /// The metric names the running dispatchers expose now; one that cannot answer is skipped.
    func metricNames() async -> Set<String> {
        var names = Set<String>()
        for process in lock.withLock({ processes }) where process.isRunning {
            guard let metrics = try? await process.get("/metrics", timeout: .seconds(2)) else { continue }
            for line in metrics.body.split(separator: "\n") where !line.hasPrefix("#") {
                if let name = line.split(whereSeparator: { $0 == "{" || $0 == " " }).first {
                    names.insert(String(name))
                }
            }
        }
        return names
    }

    func stopAll() {
        lock.withLock {
            for process in processes { process.terminate() }
            processes = []
        }
    }
}
