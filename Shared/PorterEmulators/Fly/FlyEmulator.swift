import Foundation
import Hummingbird
import Synchronization

/// An in-memory Fly Machines API (`/v1/apps…`) that really runs Machines as local processes: each
/// image name maps to a command, started with the Machine's `config.env`. Tests seed tokens and apps
/// through this Swift API and inspect every request and Machine config it received.
public final class FlyEmulator: Sendable {
    public struct Options: Sendable {
        /// Image name → the command that stands in for its entrypoint, e.g. `["/bin/sh", "-c", "…"]`.
        public var images: [String: [String]]
        /// How long a Machine stays `created`/`starting` before its process starts, so waits have work.
        public var startDelay: Duration
        /// How long a stop waits after the stop signal before SIGKILL, when the request names no timeout.
        public var stopGracePeriod: Duration
        public var defaultRegion: String

        public init(
            images: [String: [String]] = [:], startDelay: Duration = .milliseconds(100),
            stopGracePeriod: Duration = .seconds(5), defaultRegion: String = "iad"
        ) {
            self.images = images
            self.startDelay = startDelay
            self.stopGracePeriod = stopGracePeriod
            self.defaultRegion = defaultRegion
        }
    }

    /// One request as it arrived, before faults or limits answered it.
    public struct ReceivedRequest: Sendable {
        public var method: String
        public var path: String
        public var query: [String: String]
        /// The Fly action it counts against for rate limits, e.g. `create_machine`, `get_machine`.
        public var action: String
        public var app: String?
        public var body: String
        public var receivedAt: ContinuousClock.Instant
    }

    /// A Machine as the emulator holds it, for assertions.
    public struct MachineSnapshot: Sendable {
        public var id: String
        public var app: String
        public var name: String
        public var state: String
        public var image: String?
        public var env: [String: String]
        public var metadata: [String: String]
        public var autoDestroy: Bool
        public var restartPolicy: String?
        public var exitCode: Int32?
        /// The whole config as the client sent it, re-encoded.
        public var configJSON: String
    }

    public let options: Options
    public let faults = FaultInjector()
    let state = Mutex(FlyEmulatorState())
    let processes = FlyMachineProcesses()

    public init(options: Options = Options()) {
        self.options = options
    }

    deinit { processes.killAll() }

    /// Answers 429 when a client goes over Fly's per-action limits (on by default).
    public var enforcesRateLimits: Bool {
        get { state.withLock { $0.enforcesRateLimits } }
        set { state.withLock { $0.enforcesRateLimits = newValue } }
    }

    /// How late against its client's timing a request may arrive and still not be refused by the rate
    /// limits (50 ms unless set).
    public var rateLimitLatenessAllowance: Duration {
        get { state.withLock { $0.limiter.latenessAllowance } }
        set { state.withLock { $0.limiter.latenessAllowance = newValue } }
    }

    /// Adds an organization that org tokens and apps can belong to.
    public func addOrganization(_ slug: String, name: String? = nil) {
        state.withLock { $0.orgs[slug] = name ?? slug }
    }

    /// Accepts `token` (sent as `Bearer <token>`, or as-is when it starts with `FlyV1 `) with `scope`.
    public func addToken(_ token: String, scope: FlyTokenScope) {
        state.withLock { state in
            if case .organization(let org) = scope, state.orgs[org] == nil { state.orgs[org] = org }
            state.tokens[token] = scope
        }
    }

    /// Creates an app directly, as if made earlier with flyctl (`fly apps create --network` for a
    /// network of its own; nil puts it on the org's default network).
    public func addApp(_ name: String, org: String, network: String? = nil) {
        state.withLock { state in
            if state.orgs[org] == nil { state.orgs[org] = org }
            let id = state.nextID()
            state.apps[name] = FlyAppRecord(id: id, name: name, org: org, network: network)
        }
    }

    public var appNames: [String] { state.withLock { $0.apps.keys.sorted() } }

    /// The private network `app` was created on: nil for the org's default network (or no such app).
    public func network(ofApp app: String) -> String? { state.withLock { $0.apps[app]?.network } }

    /// Whether Machines of the two apps could reach each other over Fly's private network: both in
    /// one org, on the same network (the org's default one counting as one network).
    public func sharePrivateNetwork(_ app: String, _ other: String) -> Bool {
        state.withLock { state in
            guard let first = state.apps[app], let second = state.apps[other] else { return false }
            return first.org == second.org && first.network == second.network
        }
    }

    /// Every request received so far, in arrival order.
    public var receivedRequests: [ReceivedRequest] { state.withLock { $0.requests } }

    /// How many requests the emulator's own rate limits refused.
    public var rateLimitRefusals: Int { state.withLock { $0.limiter.refusals } }

    /// Every Machine ever created, destroyed ones included, oldest first.
    public var machines: [MachineSnapshot] {
        state.withLock { state in
            state.machines.values.sorted { $0.createdAt < $1.createdAt }.map(Self.snapshot)
        }
    }

    public func machine(_ id: String) -> MachineSnapshot? {
        state.withLock { $0.machines[id].map(Self.snapshot) }
    }

    /// What the Machine's process wrote so far.
    public func output(of machineID: String) -> (stdout: String, stderr: String) {
        func read(_ stream: String) -> String {
            (try? String(contentsOf: processes.outputURL(machineID, stream), encoding: .utf8)) ?? ""
        }
        return (read("stdout"), read("stderr"))
    }

    /// Whether the Machine's process is alive right now.
    public func isProcessRunning(_ machineID: String) -> Bool { processes.isRunning(machineID) }

    /// Kills the Machine's process with SIGKILL, as a host that lost the Machine would; the Machine then
    /// goes the way an exited one goes (destroyed, when it was created to destroy itself).
    public func kill(_ machineID: String) { _ = processes.send(SIGKILL, to: machineID) }

    /// Kills every Machine process; call when a test is done with the emulator.
    public func shutdown() { processes.killAll() }

    static func snapshot(_ record: FlyMachineRecord) -> MachineSnapshot {
        let json = (try? JSONEncoder().encode(record.config)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        return MachineSnapshot(
            id: record.id, app: record.app, name: record.name, state: record.state, image: record.config.image,
            env: record.config.env ?? [:], metadata: record.config.metadata ?? [:],
            autoDestroy: record.config.autoDestroy ?? false, restartPolicy: record.config.restart?.policy,
            exitCode: record.exitCode, configJSON: json)
    }
}
