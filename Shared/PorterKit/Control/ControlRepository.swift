import Foundation

/// A task as the control verbs see it: the task and what the status reply tells of it.
public struct IssueTask: Sendable {
    public var task: PorterTask
    public var attempts: Int
    public var pullRequestNumber: Int?
    public var pullRequestURL: String?
    public var cancelRequested: Bool
}

/// What a retry did.
public enum RetryResult: Sendable, Equatable {
    /// The new task (or the one this delivery created before).
    case created(UUID)
    /// The latest task has not finished: nothing was created.
    case stillActive(UUID, TaskStatus)
}

/// What the cancel job knows of its task.
public struct CancelState: Sendable {
    public var task: PorterTask
    /// When the stop was asked for; nil when it was not.
    public var cancelRequestedAt: Date?
    /// The database's clock, so grace periods are measured on one clock.
    public var now: Date
    /// A status comment was posted for the task (it was authorized).
    public var hasStatusComment: Bool
    /// Another task on the issue is dispatching or running: the labels are its.
    public var otherActiveOnIssue: Bool
    /// The latest attempt's worker and state, when there is an attempt.
    public var worker: WorkerHandle?
    public var attemptState: String?
}

/// Where the control verbs and the cancel job read and record.
public protocol ControlRepository: Sendable {
    /// The tasks of an issue, or of the pull request Porter opened from one, newest first.
    func issueTasks(repositoryID: Int64, number: Int) async throws -> [IssueTask]

    /// Cancels `ids` for `reason` through `TaskCancellation`, with `notices` for the issue, in one transaction.
    func stop(
        _ ids: [UUID], reason: String, installationID: Int64, notices: [TaskNotice]
    ) async throws -> TaskCancellation.Outcome

    /// Creates a retry of `latest` for `requester`, once per delivery, unless the issue's latest task
    /// is still unfinished; `notices` are recorded with the new task.
    func retry(
        _ latest: PorterTask, requester: Requester, commentID: Int64?, deliveryID: String,
        notices: @Sendable (UUID) -> [TaskNotice]
    ) async throws -> RetryResult

    /// The dedupe key of a status reply posted on the issue within `window`, if any.
    func recentStatusReply(repositoryID: Int64, number: Int, window: Duration) async throws -> String?

    /// Records side effects for the installation (and task, when one).
    func notify(installationID: Int64, taskID: UUID?, notices: [TaskNotice]) async throws

    func cancelState(taskID: UUID) async throws -> CancelState?

    /// Ends a task whose worker was stopped, `cancelled` for `reason`, marks its attempt stopped, and
    /// records `notices`; false when the task had already ended.
    func endStopped(_ task: PorterTask, attempt: Int?, reason: String, notices: [TaskNotice]) async throws -> Bool
}
