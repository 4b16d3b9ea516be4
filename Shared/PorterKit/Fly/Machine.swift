/// A Fly Machine as the Machines API returns it (the swagger's `Machine`), with the fields Porter
/// reads: what it sent in the config is not read back, so a config Fly describes in a newer shape
/// (a restart policy, a guest field) cannot make the answer unreadable.
public struct Machine: Codable, Sendable, Equatable {
    /// The part of the Machine's config Porter reads back: its metadata, which names the task.
    public struct Config: Codable, Sendable, Equatable {
        public var metadata: [String: String]?
    }

    public var id: String
    public var name: String?
    public var state: MachineState
    /// Changes with every new version of the Machine; `wait` uses it to name the version it means.
    public var instanceID: String?
    public var config: Config?
    public var createdAt: String?

    enum CodingKeys: String, CodingKey {
        case id, name, state, config
        case instanceID = "instance_id"
        case createdAt = "created_at"
    }
}

/// A Machine state (https://fly.io/docs/machines/machine-states/); kept open so a state Fly adds
/// later decodes instead of failing the whole answer.
public struct MachineState: RawRepresentable, Codable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(from decoder: any Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
    public var description: String { rawValue }

    public static let created = MachineState(rawValue: "created")
    public static let starting = MachineState(rawValue: "starting")
    public static let started = MachineState(rawValue: "started")
    public static let stopping = MachineState(rawValue: "stopping")
    public static let stopped = MachineState(rawValue: "stopped")
    public static let suspended = MachineState(rawValue: "suspended")
    public static let failed = MachineState(rawValue: "failed")
    public static let destroying = MachineState(rawValue: "destroying")
    public static let destroyed = MachineState(rawValue: "destroyed")

    /// Gone or going: it will never run the task again.
    public var isGone: Bool { self == .destroying || self == .destroyed }
}
