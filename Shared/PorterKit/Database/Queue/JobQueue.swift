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
}

/// The durable work queue every service draws from. Claims are exclusive across processes; a
/// claimer that dies loses its jobs only until their leases expire.
public protocol JobQueue: Sendable {
    /// Claims up to `limit` runnable jobs of `kinds`, highest priority first, then oldest.
    func claim(kinds: [String], owner: String, lease: Duration, limit: Int) async throws -> [ClaimedJob]

    /// Removes a finished job; false when `owner` no longer holds its lease (another claimer may run it).
    func complete(_ id: Int64, owner: String) async throws -> Bool

    /// Gives a job back to run again after `delay`, recording why; false when the lease was lost.
    func release(_ id: Int64, owner: String, after delay: Duration, error: String?) async throws -> Bool

    /// Extends a lease still held by `owner`; false when it was lost.
    func extend(_ id: Int64, owner: String, lease: Duration) async throws -> Bool

    /// How many jobs of `kinds` are waiting or running.
    func depth(kinds: [String]) async throws -> Int
}
