import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import NIOHTTP1
import PorterEmulators
import PorterKit
import PorterTestSupport
import PostgresNIO

@testable import CallbackReceiver

/// A dispatcher and a live callback-receiver on real Postgres, the GitHub emulator (with real git) and
/// the Fly emulator, whose `porter-worker` image runs the real worker entrypoint on this host. Both are
/// the services' own, configured from an operator's environment and built by the binaries' functions;
/// callback-receiver's routes sit behind the test's outage switches.
struct CallbackWorld: Sendable {
    let dispatch: DispatchWorld
    let callbackURL: URL
    /// Each worker's workspace and state directory go under here, by task and attempt.
    let workRoot: URL
    let outage: Outage
    let specGate: Outage

    static let entrypoint = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../../deploy/worker/entrypoint.sh").standardized.path

    /// Provider keys the operator configures; also canaries that must never surface anywhere.
    static let operatorKeys = ["ANTHROPIC_API_KEY": "sk-ant-api03-operatorCanary0123456789abcdefghij"]

    struct Options: Sendable {
        var allowScriptAgent = true
        /// The dispatcher's `PORTER_DEMO_AGENT`: it alone gives a demo task's worker the variable.
        var demoAgent = false
        var timeout: Duration = .seconds(120)
        var pushReserve = 3
        var reportPatience = 60
        var reapGrace: Duration = .zero
        /// For this long after the first report arrives, callback-receiver is down for reports (503).
        var reportOutage: Duration?
        /// Likewise for spec fetches.
        var specOutage: Duration?
        /// Spec fetches get 503 until the test calls `specGate.release()`.
        var holdSpecs = false
        var specPatience = 60
        /// How long a worker asked to stop may take before the dispatcher removes it.
        var stopGrace: Duration = .seconds(30)
        var infraRetries = 2
        /// How often the status comment may follow the worker's phase.
        var progressSpacing: Duration = .milliseconds(500)
        /// The agent user. Workers of tests running side by side share it, so by default they are told
        /// so (`PORTER_AGENT_SHARED=1`) and do not end their run by killing every process of that user,
        /// which would kill each other's agents; a test of that sweep takes a user of its own.
        var agentUser = "nobody"
        var agentShared = true
        /// The worker itself runs as `nobody`, not root, told to run the agent as itself
        /// (`PORTER_AGENT_ISOLATION=none`), as `scripts/dev` does on a developer's machine without root.
        var unisolated = false
    }

    static func run(
        _ options: Options = Options(), _ body: @escaping @Sendable (CallbackWorld) async throws -> Void
    ) async throws {
        let workRoot = URL(fileURLWithPath: "/tmp/porter-worker-\(UUID().uuidString.prefix(8).lowercased())")
        try FileManager.default.createDirectory(at: workRoot, withIntermediateDirectories: true)
        // The agent runs as `nobody`, which must be able to reach its workspace under here (and
        // create it, when the worker is `nobody` too).
        try FileManager.default.setAttributes(
            [.posixPermissions: options.unisolated ? 0o777 : 0o755], ofItemAtPath: workRoot.path)
        defer { try? FileManager.default.removeItem(at: workRoot) }
        // `nobody` running the worker needs files it can read, which the checkout may not be.
        let entrypoint = options.unisolated ? try readableWorkerCopy(in: workRoot) : entrypoint
        let worker = [
            "/bin/sh", "-c",
            """
            base=\(workRoot.path)/$PORTER_TASK_ID-$PORTER_ATTEMPT
            exec \(options.unisolated ? "setpriv --reuid=nobody --regid=nogroup --clear-groups --" : "") \
                env \(options.unisolated ? "PORTER_AGENT_ISOLATION=none" : "") \
                PORTER_AGENT_USER=\(options.agentUser) PORTER_AGENT_SHARED=\(options.agentShared ? "1" : "0") \
                PORTER_ALLOW_SCRIPT_AGENT=1 PORTER_WORKDIR=$base/work \
                PORTER_STATE_DIR=$base/state PORTER_HEARTBEAT_INTERVAL=1 \
                PORTER_PUSH_RESERVE=\(options.pushReserve) PORTER_REPORT_PATIENCE=\(options.reportPatience) \
                PORTER_SPEC_PATIENCE=\(options.specPatience) \
                \(entrypoint)
            """,
        ]
        try await DispatchWorld.run(flyImages: ["porter-worker": worker]) { dispatch in
            let config: CallbackReceiverConfig
            do {
                config = try CallbackReceiverConfig.load(from: environment(options, dispatch: dispatch))
            } catch {
                preconditionFailure("the test's callback-receiver environment is refused: \(error)")
            }
            let outage = Outage(path: "/complete", length: options.reportOutage)
            let router = Router()
            router.add(middleware: outage)
            let specGate = Outage(path: "/spec", length: options.specOutage, held: options.holdSpecs)
            router.add(middleware: specGate)
            var tuning = CallbackReceiverTuning()
            // The world's client: the same emulator and App, with retries paced for tests.
            tuning.github = { _ in dispatch.client }
            tuning.secrets = { _ in dispatch.secrets }
            tuning.progressSpacing = options.progressSpacing
            addCallbackRoutes(
                to: router, config: config,
                dependencies: ServiceDependencies(
                    service: "callback-receiver", postgres: dispatch.database,
                    metrics: ServiceMetrics(service: "callback-receiver"), logger: TestDatabase.logger),
                tuning: tuning)
            try await Application(router: router).test(.live) { client in
                let url = URL(string: "http://127.0.0.1:\(client.port!)")!
                try await body(
                    CallbackWorld(
                        dispatch: dispatch, callbackURL: url, workRoot: workRoot, outage: outage, specGate: specGate))
            }
        }
    }

    /// The operator's environment for callback-receiver in `dispatch`'s world.
    static func environment(_ options: Options, dispatch: DispatchWorld) -> [String: String] {
        var env = [
            "DATABASE_URL": dispatch.databaseURL.connectionString,
            "PORTER_PUBLIC_URL": DispatchWorld.publicURL.absoluteString,
            "PORTER_ENCRYPTION_KEYS": "k1:" + Data(repeating: 3, count: 32).base64EncodedString(),
            "GITHUB_APP_ID": String(GitHubTestKeys.appID), "GITHUB_APP_SLUG": "porter",
            "GITHUB_APP_PRIVATE_KEY": GitHubTestKeys.app.pemRepresentation,
            "GITHUB_API_URL": dispatch.emulator.baseURL, "GITHUB_URL": dispatch.emulator.baseURL,
            "FLY_API_URL": dispatch.flyURL.absoluteString, "FLY_API_TOKEN": FlyHarness.orgToken,
            "FLY_APP": FlyHarness.app, "FLY_ORG": FlyHarness.org,
            "PORTER_ALLOW_SCRIPT_AGENT": String(options.allowScriptAgent),
            "PORTER_INFRA_RETRIES": String(options.infraRetries),
        ]
        env["PORTER_REAP_GRACE"] = DispatchWorld.setting(options.reapGrace)
        for (name, value) in operatorKeys { env["PORTER_DEFAULT_\(name)"] = value }
        return env
    }

    var database: PostgresClient { dispatch.database }
    var emulator: GitHubEmulator { dispatch.emulator }

    func dispatcher(options: Options = Options(), image: String = "porter-worker") -> TaskDispatcher {
        var dispatchOptions = DispatchWorld.Options()
        dispatchOptions.defaultKeys = Set(Self.operatorKeys.keys)
        dispatchOptions.callbackURL = callbackURL
        dispatchOptions.timeout = options.timeout
        dispatchOptions.image = image
        dispatchOptions.stopGrace = options.stopGrace
        dispatchOptions.demoAgent = options.demoAgent
        return dispatch.dispatcher(dispatchOptions)
    }

    /// A `script` task from alice (who may write) on issue #1, dispatched until its worker started.
    func start(
        script: String, agent: Agent = .script, options: Options = Options(), image: String = "porter-worker",
        draft: Bool = true
    ) async throws -> UUID {
        emulator.setRole(owner: "acme", repo: "widgets", user: "alice", role: "write")
        let id = try await dispatch.request(by: "alice", agent: agent, instructions: script, draft: draft)
        try await dispatch.settle(dispatcher(options: options, image: image))
        return id
    }

    /// Waits for the task to end, then delivers what it queued for GitHub.
    @discardableResult
    func finish(_ id: UUID, within limit: Duration = .seconds(90)) async throws -> (String, String?) {
        let end = ContinuousClock.now + limit
        while ContinuousClock.now < end {
            let (status, reason) = try await dispatch.status(id)
            if TaskStatus(rawValue: status)?.isTerminal == true {
                try await deliver()
                return (status, reason)
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw WorkerTestFailure("task \(id) did not end within \(limit); worker log:\n\(workerLog(id))")
    }

    func deliver() async throws {
        let deliverer = SideEffectDeliveryTests.deliverer(database, dispatch.client)
        try await SideEffectDeliveryTests.drain(deliverer, database)
    }

    /// A copy of deploy/worker under `folder` that every user can read (a checkout under a private
    /// home is closed to `nobody`); returns the copied entrypoint's path.
    static func readableWorkerCopy(in folder: URL) throws -> String {
        let copy = folder.appendingPathComponent("worker-files")
        try FileManager.default.copyItem(
            at: URL(fileURLWithPath: entrypoint).deletingLastPathComponent(), to: copy)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: copy.path)
        for name in try FileManager.default.contentsOfDirectory(atPath: copy.path) {
            let path = copy.appendingPathComponent(name).path
            let mode = (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? 0o644
            try FileManager.default.setAttributes([.posixPermissions: mode | 0o444], ofItemAtPath: path)
        }
        return copy.appendingPathComponent("entrypoint.sh").path
    }

    /// The watchdog's status refresh over this world's database, sweeping every second and editing a
    /// running task's comment once it is `cadence` old, so a test sees the latest line without waiting
    /// minutes.
    func statusRefresh(cadence: Duration) -> StatusRefreshSweep {
        StatusRefreshSweep(
            interval: .seconds(1), store: WatchdogStore(client: database, logger: TestDatabase.logger),
            publicURL: DispatchWorld.publicURL, cadence: cadence, budget: 60, logger: TestDatabase.logger)
    }

    /// What the worker of the task's first attempt printed.
    func workerLog(_ id: UUID) -> String {
        guard
            let machine = dispatch.fly.machines.first(where: {
                $0.metadata["porter_task"] == id.uuidString.lowercased()
            })
        else { return "(no machine)" }
        let output = dispatch.fly.output(of: machine.id)
        return output.stdout + output.stderr
    }

    /// The attempt's token, opened the way the dispatcher opens it.
    func token(_ id: UUID, attempt: Int = 1) async throws -> String {
        let (keyID, sealed) = try await database.query(
            "SELECT token_key_id, sealed_token FROM task_attempts WHERE task_id = \(id) AND number = \(attempt)"
        ).collect().first!.decode((String, ByteBuffer).self)
        return try DispatchWorld.keyring.openString(
            SealedValue(keyID: keyID, combined: Array(buffer: sealed)),
            context: "task_token:\(id.uuidString.lowercased())")
    }

    /// Sends a request to callback-receiver as a worker would.
    func call(
        _ method: NIOHTTP1.HTTPMethod, _ path: String, token: String?, json: String? = nil
    ) async throws -> (status: Int, body: String) {
        var request = HTTPClientRequest(url: callbackURL.absoluteString + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: json))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 4 << 20)
        return (Int(response.status.code), String(buffer: body))
    }

    func attemptPath(_ id: UUID, _ attempt: Int = 1) -> String {
        "/callbacks/tasks/\(id.uuidString.lowercased())/attempts/\(attempt)"
    }

    /// The task's timeline as `kind: message`.
    func timeline(_ id: UUID) async throws -> [String] {
        try await PostgresTaskRepository(client: database, logger: TestDatabase.logger).events(taskID: id).map {
            "\($0.kind): \($0.message)"
        }
    }

    /// Every text Porter stored or posted about the task: events with their data, attempt summaries,
    /// side effect payloads, comments and pull requests.
    func everythingWritten(_ id: UUID) async throws -> String {
        var texts: [String] = []
        for row in try await database.query(
            "SELECT message || ' ' || data::text FROM task_events WHERE task_id = \(id)"
        ).collect() { texts.append(try row.decode(String.self)) }
        for row in try await database.query(
            """
            SELECT coalesce(summary, '') || ' ' || coalesce(reply::text, '') || ' ' || coalesce(outcome, '')
            FROM task_attempts WHERE task_id = \(id)
            """
        ).collect() { texts.append(try row.decode(String.self)) }
        for row in try await database.query(
            "SELECT payload::text || ' ' || coalesce(last_error, '') FROM github_side_effects WHERE task_id = \(id)"
        ).collect() { texts.append(try row.decode(String.self)) }
        for row in try await database.query(
            "SELECT coalesce(status_reason, '') FROM tasks WHERE id = \(id)"
        ).collect() { texts.append(try row.decode(String.self)) }
        texts += dispatch.comments
        texts += emulator.pullRequests(owner: "acme", repo: "widgets").map { "\($0.title) \($0.body ?? "")" }
        return texts.joined(separator: "\n")
    }
}

struct WorkerTestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Answers requests to paths ending in `path` with 503 for a while after the first one arrives, as a
/// callback-receiver that is down or redeploying would; counts what it refused.
final class Outage: RouterMiddleware, @unchecked Sendable {
    typealias Context = BasicRequestContext
    let path: String
    let length: Duration?
    private let lock = NSLock()
    private var began: ContinuousClock.Instant?
    private var refusals = 0
    private var held: Bool

    init(path: String, length: Duration?, held: Bool = false) {
        self.path = path
        self.length = length
        self.held = held
    }

    /// Ends a hold: requests pass from now on (or once `length` has passed).
    func release() { lock.withLock { held = false } }

    var refused: Int { lock.withLock { refusals } }

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard request.uri.path.hasSuffix(path), length != nil || lock.withLock({ held }) else {
            return try await next(request, context)
        }
        let down = lock.withLock {
            let now = ContinuousClock.now
            if began == nil { began = now }
            let down = held || now < began! + (length ?? .zero)
            if down { refusals += 1 }
            return down
        }
        return down ? Response(status: .serviceUnavailable) : try await next(request, context)
    }
}
