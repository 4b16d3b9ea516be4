import Foundation

/// A job claimed under a lease: the claimer owns it until the lease expires or it completes or releases it.
public struct ClaimedJob: Sendable, Equatable {
    public var id: Int64
    public var kind: String
    public var taskID: UUID?
    /// The job's JSON payload as text.
    public var payload: String
    public var priority: TaskPriority
    /// How many times the job has been claimed, this claim included.
    public var attempts: Int
    /// How many times in a row the job failed (waiting does not count).
    public var failures: Int = 0
    /// When the current run of failures began; nil when the last try did not fail.
    public var failingSince: Date? = nil

    public init(
        id: Int64, kind: String, taskID: UUID?, payload: String, priority: TaskPriority, attempts: Int,
        failures: Int = 0, failingSince: Date? = nil
    ) {
        self.id = id
        self.kind = kind
        self.taskID = taskID
        self.payload = payload
        self.priority = priority
        self.attempts = attempts
        self.failures = failures
        self.failingSince = failingSince
    }
}

/// The durable work queue every service draws from. Claims are exclusive across processes; a
/// claimer that dies loses its jobs only until their leases expire. Jobs are written only through
/// `enqueue` (here or `PostgresJobQueue.enqueue(_:on:logger:)` inside a caller's transaction).
public protocol JobQueue: Sendable {
    /// Enqueues `job` and wakes the claimers; false when the task already has a job of that kind.
    @discardableResult
    func enqueue(_ job: NewJob) async throws -> Bool

    /// Claims up to `limit` runnable jobs of `kinds`, highest priority first, then oldest.
    func claim(kinds: [String], owner: String, lease: Duration, limit: Int) async throws -> [ClaimedJob]

    /// Removes a finished job; false when `owner` no longer holds its lease (another claimer may run it).
    func complete(_ id: Int64, owner: String) async throws -> Bool

    /// Gives a job back to run again after `delay`, recording why; `failed` counts the try toward the
    /// job's failure cap, otherwise the count starts over. False when the lease was lost.
    func release(_ id: Int64, owner: String, after delay: Duration, error: String?, failed: Bool) async throws -> Bool

    /// Extends a lease still held by `owner`; false when it was lost.
    func extend(_ id: Int64, owner: String, lease: Duration) async throws -> Bool

    /// How many jobs of `kinds` are waiting or running.
    func depth(kinds: [String]) async throws -> Int
}

extension JobQueue {
    public func release(_ id: Int64, owner: String, after delay: Duration, error: String?) async throws -> Bool {
        try await release(id, owner: owner, after: delay, error: error, failed: false)
    }
}
