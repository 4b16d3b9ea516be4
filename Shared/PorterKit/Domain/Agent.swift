/// The agents a Machine can run: the CLI coding agents, and two built in.
public enum Agent: String, Sendable, CaseIterable, Codable, Hashable {
    case claude
    case codex
    case opencode
    case amp
    case gemini
    /// Runs the task's instructions as a shell script. Never named by a command; tasks with it are
    /// created by operators and tests, and workers run it only when `PORTER_ALLOW_SCRIPT_AGENT=1`.
    case script
    /// Porter's built-in demo (`deploy/worker/demo-agent`): deterministic, offline, no key. It writes the
    /// request into `PORTER_DEMO.md`, so a newcomer's task ends in a pull request with a real diff.
    /// Commands and pages name it only where the operator turned it on (`PORTER_DEMO_AGENT`).
    case demo

    /// The agent used when neither the command nor the commenter's settings name one.
    public static let fallback: Agent = .opencode

    /// The CLI coding agents: what a command or a page may always name, and what a default may be.
    public static let coding: [Agent] = [.claude, .codex, .opencode, .amp, .gemini]

    /// The agents a command or a page may name: the coding agents, and `demo` where it is turned on.
    public static func nameable(demo: Bool) -> [Agent] { demo ? coding + [.demo] : coding }

    /// Names accepted in a command, beyond the canonical ones.
    static let aliases: [String: Agent] = ["claude-code": .claude]

    /// The agent a person's stored settings name, or nil: only a coding agent counts, so a stored `script`,
    /// however it got there, is nobody's default, and neither is `demo`, which its operator may turn off.
    public init?(setting: String) {
        guard let agent = Agent(rawValue: setting), Self.coding.contains(agent) else { return nil }
        self = agent
    }

    /// The agent a command word names, case-insensitively, or nil when the word is no agent. `demo` is
    /// one even where it is turned off, so that a command naming it is refused, not run by another agent.
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
