import Foundation

/// Where workers run: on Fly Machines, or as local child processes for single-box deployments.
public enum WorkerRuntime: String, Sendable, CaseIterable { case fly, local }

/// The operator's Fly defaults; a user's own token and app from their settings win over these.
public struct FlySettings: Sendable {
    public var apiURL: URL
    public var token: Secret<String>?
    public var app: String?
    public var org: String?

    public init(apiURL: URL, token: Secret<String>?, app: String?, org: String?) {
        self.apiURL = apiURL
        self.token = token
        self.app = app
        self.org = org
    }

    public static func read(from env: inout EnvironmentReader) -> FlySettings {
        FlySettings(
            apiURL: env.optional("FLY_API_URL", default: URL(string: "https://api.machines.dev")!, Parse.httpURL),
            token: env.optional("FLY_API_TOKEN", Parse.secret),
            app: env.optional("FLY_APP", Parse.string),
            org: env.optional("FLY_ORG", Parse.string))
    }
}

/// The shape of every worker Machine (`PORTER_WORKER_IMAGE`, `PORTER_MACHINE_*`).
public struct MachineShape: Sendable {
    public var image: String?
    public var cpus: Int
    public var memoryMB: Int
    public var region: String?

    public init(image: String?, cpus: Int = 2, memoryMB: Int = 4096, region: String? = nil) {
        self.image = image
        self.cpus = cpus
        self.memoryMB = memoryMB
        self.region = region
    }

    public static func read(from env: inout EnvironmentReader, runtime: WorkerRuntime) -> MachineShape {
        let image = env.optional("PORTER_WORKER_IMAGE", Parse.string)
        if image == nil, runtime == .fly {
            env.report("PORTER_WORKER_IMAGE", "is required when PORTER_RUNTIME is fly")
        }
        return MachineShape(
            image: image,
            cpus: env.optional("PORTER_MACHINE_CPUS", default: 2, Parse.positiveInt),
            memoryMB: env.optional("PORTER_MACHINE_MEMORY_MB", default: 4096) { value in
                let megabytes = try Parse.positiveInt(value)
                guard megabytes >= 256, megabytes % 256 == 0 else {
                    throw InvalidValue("must be a multiple of 256 megabytes, at least 256")
                }
                return megabytes
            },
            region: env.optional("PORTER_MACHINE_REGION", Parse.string))
    }
}

/// Limits shared by the dispatcher and the watchdog.
public struct TaskLimits: Sendable {
    public var timeout: Duration
    public var maxActivePerUser: Int

    public init(timeout: Duration = .seconds(30 * 60), maxActivePerUser: Int = 5) {
        self.timeout = timeout
        self.maxActivePerUser = maxActivePerUser
    }

    public static func read(from env: inout EnvironmentReader) -> TaskLimits {
        let defaults = TaskLimits()
        return TaskLimits(
            timeout: env.optional("PORTER_TASK_TIMEOUT", default: defaults.timeout, Parse.duration),
            maxActivePerUser: env.optional(
                "PORTER_MAX_ACTIVE_PER_USER", default: defaults.maxActivePerUser, Parse.positiveInt))
    }
}

/// Operator-provided agent keys: `PORTER_DEFAULT_<NAME>` hands the agent `<NAME>`.
public struct DefaultAgentKeys: Sendable {
    public var keys: [String: Secret<String>]

    public static func read(from env: inout EnvironmentReader) -> DefaultAgentKeys {
        let prefix = "PORTER_DEFAULT_"
        var keys: [String: Secret<String>] = [:]
        for name in env.environment.keys where name.hasPrefix(prefix) && name.count > prefix.count {
            if let value = env.raw(name) { keys[String(name.dropFirst(prefix.count))] = Secret(value) }
        }
        return DefaultAgentKeys(keys: keys)
    }
}
