import Foundation

/// Tasks and their timeline. Every status change goes through `transition`, which follows
/// `TaskStatus.successors` and records a task event in the same transaction.
public protocol TaskRepository: Sendable {
    /// Stores a new task in the queued state and records its first event.
    func create(_ task: NewTask) async throws -> PorterTask

    func find(id: UUID) async throws -> PorterTask?

    /// Moves a task to `status` if its current status allows it; otherwise changes nothing and says so.
    func transition(id: UUID, to status: TaskStatus, reason: String?) async throws -> TransitionOutcome

    /// The task's timeline, oldest first.
    func events(taskID: UUID) async throws -> [TaskEvent]
}

/// One entry in a task's append-only timeline.
public struct TaskEvent: Sendable, Hashable {
    public var id: Int64
    public var taskID: UUID
    public var attempt: Int?
    public var kind: String
    public var message: String
    public var createdAt: Date
}
