/// What a comment asked Porter to do.
public enum PorterCommand: Sendable, Equatable {
    /// Start a task on the issue.
    case run(RunOptions)
    /// Act on the latest task, or answer.
    case control(ControlVerb)
}

/// `@porter stop | retry | status | help`.
public enum ControlVerb: String, Sendable, CaseIterable, Codable {
    case stop, retry, status, help
}

/// The options of a run command; nil means "not given", so settings and defaults can fill in.
public struct RunOptions: Sendable, Equatable {
    public var agent: Agent?
    public var model: String?
    public var priority: TaskPriority?
    /// true for `--draft`, false for `--ready`.
    public var draft: Bool?
    public var baseBranch: String?
    public var instructions: String

    public init(
        agent: Agent? = nil, model: String? = nil, priority: TaskPriority? = nil, draft: Bool? = nil,
        baseBranch: String? = nil, instructions: String = ""
    ) {
        self.agent = agent
        self.model = model
        self.priority = priority
        self.draft = draft
        self.baseBranch = baseBranch
        self.instructions = instructions
    }
}

/// Something in a command Porter will not guess about; reported back on the issue.
public enum CommandProblem: Sendable, Equatable, CustomStringConvertible {
    case unknownFlag(String)
    case missingValue(flag: String)
    case invalidValue(flag: String, value: String, expected: String)
    case conflictingFlags(String, String)
    case repeatedFlag(String)
    /// `demo` named where the operator has not turned the demo agent on (`PORTER_DEMO_AGENT`).
    case demoAgentOff

    public var description: String {
        switch self {
        case .unknownFlag(let flag): "`\(flag)` is not a flag Porter knows"
        case .missingValue(let flag): "`--\(flag)` needs a value"
        case .invalidValue(let flag, let value, let expected): "`--\(flag)` cannot be `\(value)`: use \(expected)"
        case .conflictingFlags(let first, let second): "`--\(first)` and `--\(second)` cannot be used together"
        case .repeatedFlag(let flag): "`--\(flag)` is given more than once"
        case .demoAgentOff:
            "`demo` is Porter's built-in demo agent, which the operator of this Porter has not turned on "
                + "(`PORTER_DEMO_AGENT`); for instructions that begin with “demo”, name an agent first, such as "
                + "`\(Agent.fallback.rawValue) demo …`"
        }
    }
}

/// The result of reading a comment.
public enum CommandParseResult: Sendable, Equatable {
    /// The comment does not address Porter.
    case noMention
    case command(PorterCommand)
    /// The comment addresses Porter but the command has problems; nothing runs.
    case invalid([CommandProblem])
}
