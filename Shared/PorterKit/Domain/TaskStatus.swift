/// A task's lifecycle. The allowed transitions are defined here once; the repository's SQL only
/// moves a task along them, and a database trigger rejects anything else.
public enum TaskStatus: String, Sendable, CaseIterable, Codable, Hashable {
    case queued
    case dispatching
    case running
    case succeeded
    case failed
    case timedOut = "timed_out"
    case cancelled

    /// The states a task never leaves: it reaches exactly one of them.
    public static let terminal: Set<TaskStatus> = [.succeeded, .failed, .timedOut, .cancelled]

    /// States in which a task holds a slot: counted against the per-user limit and the one-per-issue rule.
    public static let active: Set<TaskStatus> = [.dispatching, .running]

    public var isTerminal: Bool { Self.terminal.contains(self) }

    /// Every status this one may move to. A dispatching task returns to queued when its claim is
    /// released (waiting for a slot, or a transient error); retries of a finished task are new attempts
    /// of a new task, never a move out of a terminal state. A worker can finish before its dispatcher
    /// has recorded it as running, hence dispatching → succeeded. A running task whose worker failed
    /// for reasons of infrastructure (not the agent's) goes back to dispatching for a new attempt.
    public var successors: Set<TaskStatus> {
        switch self {
        case .queued: [.dispatching, .failed, .cancelled]
        case .dispatching: [.queued, .running, .succeeded, .failed, .timedOut, .cancelled]
        case .running: [.dispatching, .succeeded, .failed, .timedOut, .cancelled]
        case .succeeded, .failed, .timedOut, .cancelled: []
        }
    }

    public func canMove(to next: TaskStatus) -> Bool { successors.contains(next) }

    /// The statuses from which `target` may be reached.
    public static func predecessors(of target: TaskStatus) -> [TaskStatus] {
        allCases.filter { $0.canMove(to: target) }
    }
}
