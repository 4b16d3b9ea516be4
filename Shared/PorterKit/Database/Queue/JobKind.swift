import Foundation

/// Every kind of durable request the jobs table holds. Each has exactly one consumer, the
/// dispatcher (see `TaskDispatcher`), which a test checks by running one job of every kind.
public enum JobKind: String, Sendable, CaseIterable, Codable {
    /// Take a queued task to a running worker (`DispatchProcessor`).
    case dispatch
    /// `@porter stop | retry | status` from a comment (`ControlProcessor`).
    case control
    /// Finish a cancellation: the final status comment of a task cancelled while queued, or a worker
    /// that did not stop by itself within the grace period stopped and destroyed (`CancelProcessor`).
    case cancel
}

/// A job to enqueue: its kind, the task it is about, its JSON payload, priority and earliest start.
public struct NewJob: Sendable, Equatable {
    public var kind: JobKind
    public var taskID: UUID?
    /// JSON text.
    public var payload: String
    public var priority: TaskPriority
    /// How long after enqueueing the job becomes runnable.
    public var delay: Duration

    public init(
        kind: JobKind, taskID: UUID? = nil, payload: String = "{}", priority: TaskPriority = .normal,
        delay: Duration = .zero
    ) {
        self.kind = kind
        self.taskID = taskID
        self.payload = payload
        self.priority = priority
        self.delay = delay
    }

    /// Moves `taskID` along from queued (or dispatching, for a new attempt).
    public static func dispatch(_ taskID: UUID, priority: TaskPriority) -> NewJob {
        NewJob(kind: .dispatch, taskID: taskID, priority: priority)
    }

    /// Carries out a control verb from a comment.
    public static func control(_ request: ControlRequest) throws -> NewJob {
        NewJob(
            kind: .control, payload: String(decoding: try JSONEncoder().encode(request), as: UTF8.self),
            priority: .high)
    }

    /// Finishes the cancellation of `taskID` after `delay`.
    public static func cancel(_ taskID: UUID, _ order: CancelOrder, after delay: Duration = .zero) throws -> NewJob {
        NewJob(
            kind: .cancel, taskID: taskID, payload: String(decoding: try JSONEncoder().encode(order), as: UTF8.self),
            priority: .high, delay: delay)
    }
}
