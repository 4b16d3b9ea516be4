import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import PorterEmulators
import PorterKit
import PostgresNIO
import ServiceLifecycle
import _CryptoExtras

/// callback-receiver's routes on loopback against real Postgres: `tasks` running tasks, each with a
/// worker that sends heartbeats and progress events and then reports, every report `copies` times at
/// once (workers retry). Prints the latency of each kind of call and the rate of finalized tasks.
struct CallbackBenchmark {
    let tasks: Int
    let workers: Int
    let copies: Int
    let logger: Logger

    func run(_ database: DatabaseURL) async throws {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let port = try freePort()
        var postgresLogger = logger
        postgresLogger.logLevel = .error
        let postgres = PostgresClient(
            configuration: database.clientConfiguration(maximumConnections: 24), backgroundLogger: postgresLogger)
        let keyring = try EncryptionKeyring(keys: [("bench", (0..<32).map { _ in UInt8.random(in: 0...255) })])
        let service = CallbackService(
            repository: PostgresCallbackRepository(client: postgres, logger: logger),
            github: GitHubClient(
                endpoints: GitHubEndpoints(),
                app: GitHubAppCredentials(appID: 1, slug: "porter", privateKeyPEM: key.pemRepresentation),
                logger: logger),
            secrets: PostgresUserSecretStore(client: postgres, keyring: keyring, logger: logger), reaper: nil,
            settings: CallbackSettings(
                publicURL: URL(string: "https://porter.example.com")!, gitURL: URL(string: "https://github.com")!,
                appSlug: "porter", appID: 1, defaultKeys: [:]),
            operatorSecrets: [], logger: logger)
        let router = Router()
        CallbackRoutes(service: service, metrics: ServiceMetrics(service: "bench"), logger: logger)
            .addRoutes(to: router)
        let server = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: logger)
        let group = ServiceGroup(
            configuration: .init(services: [postgres, server], gracefulShutdownSignals: [.sigint], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { running in
            running.addTask { try await group.run() }
            defer { running.cancelAll() }
            let seeded = try await seed(postgres)
            try await measure(seeded, base: "http://127.0.0.1:\(port)")
            await group.triggerGracefulShutdown()
        }
    }

    /// Running tasks, each with an attempt whose token the benchmark holds.
    func seed(_ postgres: PostgresClient) async throws -> [(UUID, String)] {
        _ = try await Migrator(logger: logger).migrate(postgres)
        for table in ["jobs", "task_events", "task_attempts", "github_side_effects", "tasks"] {
            try await postgres.query(PostgresQuery(unsafeSQL: "DELETE FROM \(table)"), logger: logger)
        }
        var seeded: [(UUID, String)] = []
        for index in 0..<tasks {
            let id = UUID()
            let token = TaskToken.generate()
            try await postgres.withTransaction(logger: logger) { connection in
                try await connection.query(
                    """
                    INSERT INTO tasks (id, installation_id, repository_id, repository_full_name, issue_number,
                        requester_id, requester_login, agent, instructions)
                    VALUES (\(id), 1, \(index + 1), \("bench/repo\(index)"), 1, \(index + 1), \("u\(index)"),
                        'claude', 'benchmark')
                    """, logger: logger)
                try await connection.query(
                    """
                    UPDATE tasks SET status = 'dispatching', prompt = 'p', branch = \("porter/issue-1-\(index)"),
                        base_branch = 'main', deadline_at = now() + interval '1 hour', key_source = 'operator'
                    WHERE id = \(id)
                    """, logger: logger)
                try await connection.query("UPDATE tasks SET status = 'running' WHERE id = \(id)", logger: logger)
                try await connection.query(
                    """
                    INSERT INTO task_attempts (task_id, number, runtime, machine_name, token_hash, token_expires_at)
                    VALUES (\(id), 1, 'local', \("bench-\(id)"), \(ByteBuffer(bytes: token.hash)),
                        now() + interval '1 hour')
                    """, logger: logger)
            }
            seeded.append((id, token.value))
        }
        return seeded
    }

    func measure(_ seeded: [(UUID, String)], base: String) async throws {
        let start = ContinuousClock.now
        let samples = try await withThrowingTaskGroup(of: [String: [Double]].self) { group in
            for worker in 0..<workers {
                group.addTask {
                    var samples: [String: [Double]] = [:]
                    for (id, token) in seeded.enumerated().filter({ $0.offset % workers == worker }).map(\.element) {
                        let path = "\(base)/callbacks/tasks/\(id.uuidString.lowercased())/attempts/1"
                        samples["heartbeat", default: []].append(try await call(path + "/heartbeat", token, "{}"))
                        let event = #"{"phase":"agent","message":"working","lines":["line 1","line 2"]}"#
                        samples["event", default: []].append(try await call(path + "/events", token, event))
                        let report =
                            #"{"task_id":"\#(id.uuidString)","attempt":1,"status":"no_changes","summary":"ok"}"#
                        let times = try await withThrowingTaskGroup(of: Double.self) { copies in
                            for _ in 0..<self.copies {
                                copies.addTask { try await call(base + "/callbacks/complete", token, report) }
                            }
                            return try await copies.reduce(into: []) { $0.append($1) }
                        }
                        samples["complete", default: []] += times
                    }
                    return samples
                }
            }
            return try await group.reduce(into: [String: [Double]]()) { all, one in
                all.merge(one) { $0 + $1 }
            }
        }
        let elapsed = seconds(ContinuousClock.now - start)
        for kind in ["heartbeat", "event", "complete"] {
            let sorted = (samples[kind] ?? []).sorted()
            print(
                String(
                    format: "callbacks: %@ × %d: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms", kind,
                    sorted.count, percentile(sorted, 0.5), percentile(sorted, 0.9), percentile(sorted, 0.99),
                    sorted.last ?? .nan))
        }
        print(
            String(
                format:
                    "callbacks: %d tasks finalized by %d workers (each report sent %d times at once) in %.2f s: %.0f tasks/s",
                tasks, workers, copies, elapsed, Double(tasks) / elapsed))
    }

    /// One POST, checked; returns its latency in milliseconds.
    func call(_ url: String, _ token: String, _ body: String) async throws -> Double {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: body))
        let start = ContinuousClock.now
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        _ = try await response.body.collect(upTo: 1 << 20)
        let took = seconds(ContinuousClock.now - start) * 1000
        guard (200..<300).contains(response.status.code) else {
            throw BenchmarkError("\(url) answered \(response.status.code)")
        }
        return took
    }
}
