import AsyncHTTPClient
import Foundation
import Logging

/// Which worker an attempt started: where it runs and its id there.
public struct WorkerHandle: Sendable, Equatable {
    public var taskID: UUID
    public var attempt: Int
    public var runtime: WorkerRuntime
    /// The Fly Machine id, or `local-<pid>` for a local worker; nil before the worker was created.
    public var machineID: String?
    public var flyApp: String?
    /// Whose Fly token the Machine was created with, when it was theirs.
    public var requesterID: Int64

    public init(
        taskID: UUID, attempt: Int, runtime: WorkerRuntime, machineID: String?, flyApp: String?, requesterID: Int64
    ) {
        self.taskID = taskID
        self.attempt = attempt
        self.runtime = runtime
        self.machineID = machineID
        self.flyApp = flyApp
        self.requesterID = requesterID
    }
}

extension WorkerHandle {
    /// The worker of a task attempt as callbacks read it.
    public init(_ attempt: CallbackAttempt) {
        self.init(
            taskID: attempt.task.id, attempt: attempt.number, runtime: WorkerRuntime(rawValue: attempt.runtime) ?? .fly,
            machineID: attempt.machineID, flyApp: attempt.flyApp, requesterID: attempt.task.requester.id)
    }
}

/// Stops and destroys a worker. Gone already (destroyed, never created, exited) counts as done.
public protocol WorkerStopper: Sendable {
    func stop(_ worker: WorkerHandle) async throws
}

/// Removes workers: a Fly Machine is stopped, then destroyed, with the requester's own Fly token when
/// they stored one (the Machine is in their app), else the operator's; a local worker process gets
/// SIGTERM, then its whole session SIGKILL if it has not exited after `localGrace`.
public struct WorkerRemover: WorkerStopper {
    let fly: FlySettings
    let secrets: any UserSecretStore
    let httpClient: HTTPClient
    let localGrace: Duration
    /// Shared with the other replicas, so stops and destroys stay within Fly's per-app limits too.
    let pacer: (any FlyPacer)?
    let logger: Logger

    public init(
        fly: FlySettings, secrets: any UserSecretStore, httpClient: HTTPClient = .shared,
        localGrace: Duration = .seconds(10), pacer: (any FlyPacer)? = nil, logger: Logger
    ) {
        self.pacer = pacer
        self.fly = fly
        self.secrets = secrets
        self.httpClient = httpClient
        self.localGrace = localGrace
        self.logger = logger
    }

    public func stop(_ worker: WorkerHandle) async throws {
        guard let id = worker.machineID else { return }
        switch worker.runtime {
        case .local:
            await LocalWorkerLauncher.stop(id: id, taskID: worker.taskID, attempt: worker.attempt, grace: localGrace)
            logger.info("local worker stopped", metadata: ["machine_id": "\(id)"])
        case .fly:
            guard let app = worker.flyApp else { return }
            try await stopMachine(app: app, id: id, requesterID: worker.requesterID)
        }
    }

    /// The Fly token that reaches the requester's Machines: their own when they stored one.
    func token(requesterID: Int64) async throws -> String {
        guard let token = try await secrets.value(userID: requesterID, name: "FLY_API_TOKEN") ?? fly.token?.value
        else { throw WorkerTargetProblem("no Fly.io token is configured to reach the worker with") }
        return token
    }

    func stopMachine(app: String, id: String, requesterID: Int64) async throws {
        try await stopMachine(app: app, id: id, token: try await token(requesterID: requesterID))
    }

    /// Stops, then destroys, the Machine `id` of `app` with `token`; gone already counts as done.
    public func stopMachine(app: String, id: String, token: String) async throws {
        let client = FlyClient(
            baseURL: fly.apiURL, token: Secret(token), httpClient: httpClient, pacer: pacer, logger: logger)
        let machine: Machine
        do {
            machine = try await client.machine(app: app, id: id)
        } catch let error as APIError where error.statusCode == 404 {
            return
        }
        guard machine.state != .destroyed, machine.state != .destroying else { return }
        if machine.state != .stopped {
            do {
                try await client.stopMachine(app: app, id: id, timeout: .seconds(10))
            } catch let error as APIError where error.statusCode == 404 {
                return
            }
        }
        try await client.destroyMachine(app: app, id: id)
        logger.info("worker Machine removed", metadata: ["machine_id": "\(id)", "state": "\(machine.state)"])
    }

    /// Whether the worker still runs, read from Fly or the local process table.
    public func presence(_ worker: WorkerHandle) async throws -> WorkerPresence {
        guard let id = worker.machineID else { return .gone("never created") }
        switch worker.runtime {
        case .local:
            guard id.hasPrefix("local-"), let pid = Int32(id.dropFirst("local-".count)) else { return .gone("unknown") }
            return LocalWorkerLauncher.isWorker(pid: pid, taskID: worker.taskID, attempt: worker.attempt)
                ? .running : .gone("exited")
        case .fly:
            guard let app = worker.flyApp else { return .gone("unknown") }
            let client = FlyClient(
                baseURL: fly.apiURL, token: Secret(try await token(requesterID: worker.requesterID)),
                httpClient: httpClient, pacer: pacer, logger: logger)
            do {
                let machine = try await client.machine(app: app, id: id)
                switch machine.state {
                case .stopped, .suspended, .failed, .destroying, .destroyed: return .gone(machine.state.rawValue)
                default: return .running
                }
            } catch let error as APIError where error.statusCode == 404 {
                return .gone("destroyed")
            }
        }
    }
}

/// Whether a worker is still there.
public enum WorkerPresence: Sendable, Equatable {
    case running
    /// Gone, stopped or failed: it will never report. The associated text says how it was found.
    case gone(String)
}
