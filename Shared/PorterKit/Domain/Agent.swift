/// The CLI coding agents a Machine can run.
public enum Agent: String, Sendable, CaseIterable, Codable, Hashable {
    case claude
    case codex
    case opencode
    case amp
    case gemini
    /// Runs the task's instructions as a shell script. Never named by a command; tasks with it are
    /// created by operators and tests, and workers run it only when `PORTER_ALLOW_SCRIPT_AGENT=1`.
    case script

    /// The agent used when neither the command nor the commenter's settings name one.
    public static let fallback: Agent = .opencode

    /// Names accepted in a command, beyond the canonical ones.
    static let aliases: [String: Agent] = ["claude-code": .claude]

    /// The agent a person's stored settings name, or nil: only an agent a command may name counts, so a
    /// stored `script`, however it got there, is nobody's default.
    public init?(setting: String) {
        guard let agent = Agent(rawValue: setting), agent != .script else { return nil }
        self = agent
    }

    /// The agent a command word names, case-insensitively, or nil when the word is no agent.
    public init?(commandWord: String) {
        let word = commandWord.lowercased()
        guard let agent = Agent(rawValue: word) ?? Self.aliases[word], agent != .script else { return nil }
        self = agent
    }
}

/// Where a task stands in the dispatch queue.
public enum TaskPriority: String, Sendable, CaseIterable, Codable, Hashable {
    case low
    case normal
    case high

    /// Stored as a number so the claim query can order by it: higher runs first.
    public var rank: Int16 {
        switch self {
        case .low: 0
        case .normal: 1
        case .high: 2
        }
    }

    public init?(rank: Int16) {
        guard let priority = Self.allCases.first(where: { $0.rank == rank }) else { return nil }
        self = priority
    }
}
