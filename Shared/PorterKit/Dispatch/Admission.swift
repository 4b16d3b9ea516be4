import Foundation

/// Whether a queued task may start now.
public enum Admission: Sendable, Equatable {
    /// The task moved to dispatching and holds one of its user's slots.
    case admitted
    /// The user already has `active` tasks dispatching or running (the limit).
    case waitingForUserSlot(active: Int)
    /// Another task on the same issue is active; this one waits behind it.
    case waitingForIssue(blockedBy: UUID)
    /// The task is no longer queued (cancelled, or admitted by another dispatcher).
    case notQueued(TaskStatus)
    case notFound
}

/// One try at running a task on a worker: written before the worker is created, so a crash after
/// the create finds the Machine by its deterministic name instead of making another.
public struct TaskAttempt: Sendable, Equatable {
    public var taskID: UUID
    public var number: Int
    public var runtime: WorkerRuntime
    public var machineName: String
    public var machineID: String?
    public var flyApp: String?
    public var tokenExpiresAt: Date
    public var state: String
    /// The attempt's token sealed with the keyring (context `task_token:<task id>`), so whoever takes
    /// the attempt over after a crash launches with the token its hash vouches for.
    public var sealedToken: SealedValue?
    /// The worker runs in the requester's own Fly app; nil for attempts recorded before this was.
    public var inRequesterApp: Bool?

    /// `porter-<task id>-<attempt>`: the same every time this attempt is tried.
    public static func machineName(taskID: UUID, number: Int) -> String {
        "porter-\(taskID.uuidString.lowercased())-\(number)"
    }
}

/// The dispatcher's view of the database: admission under the limits, and attempts.
public protocol DispatchRepository: Sendable {
    /// Moves a queued task to dispatching when its user is under `maxActivePerUser` and no other
    /// task on its issue is active; holds across any number of dispatchers.
    func admit(taskID: UUID, maxActivePerUser: Int) async throws -> Admission

    /// The task's attempt still being created (a crash left it), or a new one with `token`'s hash.
    /// Returns the attempt and whether it is new; an existing one keeps its original token and app.
    func beginAttempt(
        taskID: UUID, runtime: WorkerRuntime, flyApp: String?, inRequesterApp: Bool, token: TaskToken,
        sealedToken: SealedValue?, expiresAt: Date
    ) async throws -> (attempt: TaskAttempt, isNew: Bool)

    /// Records the created Machine's id on the attempt.
    func recordMachine(taskID: UUID, number: Int, machineID: String) async throws

    /// The task with what the dispatcher has recorded about it, or nil when there is no such task.
    func state(taskID: UUID) async throws -> DispatchState?

    /// Records the requester's permission once, with the acknowledgement `notices`, in one transaction.
    func recordAuthorization(_ task: PorterTask, permission: GitHubPermission, notices: [TaskNotice]) async throws

    /// Records why a queued task waits; `notices` go out only when the reason changed.
    func noteWaiting(_ task: PorterTask, reason: String, notices: [TaskNotice]) async throws

    /// Records `notices` for the task.
    func notify(_ task: PorterTask, notices: [TaskNotice]) async throws

    /// Moves the task to a terminal `status` with `reason` and `notices`, if its status allows it.
    func end(
        _ task: PorterTask, as status: TaskStatus, reason: String, notices: [TaskNotice]
    ) async throws
        -> TransitionOutcome

    /// The issue number of task `id` (for a follow-up, the task that opened its pull request); nil
    /// for nil or a task that is gone.
    func issueNumber(of id: UUID?) async throws -> Int?

    /// Stores the task's spec unless one is stored already.
    func recordSpec(_ taskID: UUID, _ spec: TaskSpec) async throws
    func followUpSequence(of task: PorterTask) async throws -> Int

    /// Records the attempt's Machine and moves the task from dispatching to running, with `notices`.
    func markRunning(
        _ task: PorterTask, attempt: Int, machineID: String, notices: [TaskNotice]
    ) async throws
        -> TransitionOutcome
}
