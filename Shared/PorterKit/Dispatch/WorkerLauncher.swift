import Foundation

/// What a worker needs to start: who it is, where to call, and the token that proves it. Nothing
/// else, and nothing long-lived: the worker fetches its prompt, clone URL and keys with the token.
public struct WorkerLaunch: Sendable, Equatable {
    public var taskID: UUID
    public var attempt: Int
    public var machineName: String
    public var callbackURL: URL
    public var token: TaskToken
    public var deadline: Date
    /// What the worker is for, in its tags, so an operator listing Machines sees it.
    public var repository: String?
    public var issue: Int?
    /// A `demo` task's worker where the operator turned the demo on: it gets `PORTER_DEMO_AGENT=1`, the
    /// `requires_env` without which the worker refuses that agent.
    public var demoAgent: Bool

    public init(
        taskID: UUID, attempt: Int, machineName: String, callbackURL: URL, token: TaskToken, deadline: Date,
        repository: String? = nil, issue: Int? = nil, demoAgent: Bool = false
    ) {
        self.repository = repository
        self.issue = issue
        self.demoAgent = demoAgent
        self.taskID = taskID
        self.attempt = attempt
        self.machineName = machineName
        self.callbackURL = callbackURL
        self.token = token
        self.deadline = deadline
    }

    /// The worker's whole environment.
    public var environment: [String: String] {
        var environment = [
            "PORTER_TASK_ID": taskID.uuidString.lowercased(),
            "PORTER_ATTEMPT": String(attempt),
            "PORTER_CALLBACK_URL": callbackURL.absoluteString,
            "PORTER_TASK_TOKEN": token.value,
            "PORTER_DEADLINE": ISO8601DateFormatter().string(from: deadline),
        ]
        if demoAgent { environment["PORTER_DEMO_AGENT"] = "1" }
        return environment
    }

    /// Tags that find this attempt's worker again after a crash or a lost answer, and say what it is for.
    public var metadata: [String: String] {
        var tags = ["porter_task": taskID.uuidString.lowercased(), "porter_attempt": String(attempt)]
        if let repository { tags["porter_repository"] = repository }
        if let issue { tags["porter_issue"] = String(issue) }
        return tags
    }
}

/// Starts a task attempt's worker and returns its id; starting the same attempt again returns the
/// worker already started, never a second one.
public protocol WorkerLauncher: Sendable {
    func launch(_ launch: WorkerLaunch) async throws -> String
}

/// Workers as Fly Machines: named and tagged by attempt, destroyed when they exit, never restarted.
public struct FlyWorkerLauncher: WorkerLauncher {
    let fly: FlyClient
    let app: String
    let image: String
    let shape: MachineShape

    public init(fly: FlyClient, app: String, image: String, shape: MachineShape) {
        self.fly = fly
        self.app = app
        self.image = image
        self.shape = shape
    }

    public func launch(_ launch: WorkerLaunch) async throws -> String {
        let request = CreateMachineRequest(
            name: launch.machineName, region: shape.region,
            config: MachineConfig(
                image: image, env: launch.environment,
                guest: GuestConfig(cpuKind: "shared", cpus: shape.cpus, memoryMB: shape.memoryMB),
                autoDestroy: true, restart: RestartPolicy(policy: .no), metadata: launch.metadata))
        return try await fly.createMachineIfAbsent(app: app, request).id
    }
}
