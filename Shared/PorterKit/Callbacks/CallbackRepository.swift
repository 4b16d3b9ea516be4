import Foundation

/// A task attempt as a callback sees it: enough to check the caller's token and serve or finalize it.
public struct CallbackAttempt: Sendable {
    public var task: PorterTask
    public var number: Int
    /// Whether a later attempt of the task exists: an earlier attempt's worker may not act any more.
    public var isLatest: Bool
    public var runtime: String
    public var machineID: String?
    public var flyApp: String?
    /// The worker runs in the requester's own Fly app (nil: recorded before this was).
    public var inRequesterApp: Bool?
    public var tokenHash: [UInt8]?
    public var tokenExpiresAt: Date?
    /// The stored spec; its prompt is empty unless the attempt was read with `includePrompt`.
    public var spec: TaskSpec?
    public var cancelRequested: Bool
    /// The answer to this attempt's completion, once one was recorded.
    public var reply: String?

    /// The task still wants this worker to run.
    public var isRunnable: Bool {
        isLatest && !cancelRequested && reply == nil && (task.status == .dispatching || task.status == .running)
    }

    /// True when `token` is this attempt's and has not expired: compared in constant time.
    public func accepts(token: String, now: Date = Date()) -> Bool {
        guard let tokenHash, let tokenExpiresAt else { return false }
        let matches = TaskToken.matches(token, storedHash: tokenHash)
        return matches && now < tokenExpiresAt
    }
}

/// Where callback-receiver reads attempts and records what workers say.
public protocol CallbackRepository: Sendable {
    /// The attempt `number` of the task, or its latest attempt when `number` is nil; the spec's prompt
    /// only with `includePrompt`.
    func attempt(taskID: UUID, number: Int?, includePrompt: Bool) async throws -> CallbackAttempt?

    /// Records a heartbeat; the attempt counts as running from its first one.
    func heartbeat(_ attempt: CallbackAttempt) async throws

    /// Appends a progress event to the task's timeline and, while the task runs, keeps its phase and
    /// latest line (`note`). When the phase is new, records `notices` (the status comment) due when
    /// `spacing` has passed since the last phase shown; while such an edit still waits, later events
    /// replace it in its slot, so the comment ends on the latest phase with at most one edit a spacing.
    func recordProgress(
        _ attempt: CallbackAttempt, _ progress: ProgressReport, note: String?, spacing: Duration,
        notices: [TaskNotice]
    ) async throws

    /// Finalizes the task from the attempt's report exactly once: the first report decides, under
    /// lock, and every later or concurrent one gets the same stored answer (JSON text).
    func complete(
        _ attempt: CallbackAttempt, report: CompletionReport,
        decide: @Sendable (CompletionContext) -> Finalization
    ) async throws -> (reply: String, first: Bool)
}

/// What a completion is decided from, read under the task's and attempt's locks.
public struct CompletionContext: Sendable {
    public var task: PorterTask
    /// Someone asked for the task to stop (`@porter stop`, the issue closed) while the worker ran.
    public var cancelRequested: Bool
    /// A later attempt of the task exists: this report is recorded, not acted on.
    public var superseded: Bool

    public init(task: PorterTask, cancelRequested: Bool = false, superseded: Bool = false) {
        self.task = task
        self.cancelRequested = cancelRequested
        self.superseded = superseded
    }
}

extension CallbackRepository {
    /// Finalizes the attempt's task from `report` as `finalizer` decides; true when this report was the
    /// first, so it decided.
    public func finalize(
        _ attempt: CallbackAttempt, _ report: CompletionReport, with finalizer: Finalizer
    )
        async throws -> Bool
    {
        try await complete(attempt, report: report) { context in
            finalizer.decide(context, attempt: attempt.number, report: report, spec: attempt.spec)
        }.first
    }
}
