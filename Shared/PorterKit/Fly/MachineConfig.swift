/// What a Machine runs (the swagger's `fly.MachineConfig`, the fields Porter uses).
public struct MachineConfig: Codable, Sendable, Equatable {
    public var image: String
    /// Plain environment variables: visible to anyone who can read the app, so never a secret.
    public var env: [String: String]?
    public var guest: GuestConfig?
    /// Destroy the Machine once its process exits.
    public var autoDestroy: Bool?
    public var restart: RestartPolicy?
    public var metadata: [String: String]?

    public init(
        image: String, env: [String: String]? = nil, guest: GuestConfig? = nil, autoDestroy: Bool? = nil,
        restart: RestartPolicy? = nil, metadata: [String: String]? = nil
    ) {
        self.image = image
        self.env = env
        self.guest = guest
        self.autoDestroy = autoDestroy
        self.restart = restart
        self.metadata = metadata
    }

    /// A throwaway worker: runs once, is never restarted, and destroys itself when it exits.
    public static func worker(
        image: String, cpus: Int, memoryMB: Int, env: [String: String], metadata: [String: String]
    ) -> MachineConfig {
        MachineConfig(
            image: image, env: env, guest: GuestConfig(cpuKind: "shared", cpus: cpus, memoryMB: memoryMB),
            autoDestroy: true, restart: RestartPolicy(policy: .no), metadata: metadata)
    }

    enum CodingKeys: String, CodingKey {
        case image, env, guest, restart, metadata
        case autoDestroy = "auto_destroy"
    }
}

/// CPU and memory of a Machine (the swagger's `fly.MachineGuest`).
public struct GuestConfig: Codable, Sendable, Equatable {
    public var cpuKind: String?
    public var cpus: Int?
    public var memoryMB: Int?

    public init(cpuKind: String? = nil, cpus: Int? = nil, memoryMB: Int? = nil) {
        self.cpuKind = cpuKind
        self.cpus = cpus
        self.memoryMB = memoryMB
    }

    enum CodingKeys: String, CodingKey {
        case cpus
        case cpuKind = "cpu_kind"
        case memoryMB = "memory_mb"
    }
}

/// Whether Fly restarts a Machine whose process exited (the swagger's `fly.MachineRestart`).
public struct RestartPolicy: Codable, Sendable, Equatable {
    public enum Policy: String, Codable, Sendable {
        case no
        case always
        case onFailure = "on-failure"
    }

    public var policy: Policy
    public var maxRetries: Int?

    public init(policy: Policy, maxRetries: Int? = nil) {
        self.policy = policy
        self.maxRetries = maxRetries
    }

    enum CodingKeys: String, CodingKey {
        case policy
        case maxRetries = "max_retries"
    }
}

/// The body of `POST /v1/apps/{app}/machines` (the swagger's `CreateMachineRequest`).
public struct CreateMachineRequest: Codable, Sendable, Equatable {
    /// Unique within the app while the Machine exists: the key that makes create-if-absent safe.
    public var name: String?
    public var region: String?
    public var config: MachineConfig

    public init(name: String? = nil, region: String? = nil, config: MachineConfig) {
        self.name = name
        self.region = region
        self.config = config
    }
}
