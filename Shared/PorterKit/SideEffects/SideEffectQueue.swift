import Foundation

/// The payload of a `create_comment` side effect.
public struct CommentRequest: Codable, Sendable, Equatable {
    public var repositoryFullName: String
    public var issueNumber: Int
    public var body: String
    /// Set on a reply to a commenter whose write access is not known to Porter: the deliverer posts it
    /// only as `ReplyAudience` allows. Nil for comments Porter posts on its own account.
    public var audience: ReplyAudience?

    public init(repositoryFullName: String, issueNumber: Int, body: String, audience: ReplyAudience? = nil) {
        self.repositoryFullName = repositoryFullName
        self.issueNumber = issueNumber
        self.body = body
        self.audience = audience
    }
}

/// A GitHub side effect waiting to be delivered, claimed under a lease.
public struct PendingSideEffect: Sendable, Equatable {
    public var id: Int64
    public var installationID: Int64
    public var taskID: UUID?
    public var kind: String
    public var dedupeKey: String
    /// JSON text.
    public var payload: String
    /// Tries so far, this one included.
    public var attempts: Int
    /// Bumped each time the effect is replaced; a delivery of an older revision does not finish it.
    public var revision: Int
    /// What an earlier delivery answered (JSON text), kept across replacements.
    public var previousResult: String?
    /// When the effect, or its latest replacement, was queued: its patience counts from here.
    public var queuedAt: Date
}

/// GitHub side effects recorded with the state change that caused them and delivered until they
/// land, so a GitHub outage delays them and never loses them.
public protocol SideEffectQueue: Sendable {
    func claim(owner: String, lease: Duration, limit: Int) async throws -> [PendingSideEffect]
    /// How long until the earliest pending effect is due (zero when one is due now); nil when none waits.
    func nextDue() async throws -> Duration?
    /// Marks the effect delivered, with what GitHub answered (JSON text); an effect replaced since
    /// it was claimed stays pending, to deliver its new payload.
    func complete(_ effect: PendingSideEffect, owner: String, result: String) async throws
    /// Marks a pull request opened, records it on its task, and queues what follows from it (the final
    /// status comment), all in one transaction.
    func completePullRequest(
        _ effect: PendingSideEffect, owner: String, pull: OpenedPullRequest, notices: [TaskNotice]
    ) async throws
    /// Gives up on a pull request GitHub will not open and queues what says so, in one transaction;
    /// false when `owner` no longer held it.
    @discardableResult
    func abandonPullRequest(
        _ effect: PendingSideEffect, owner: String, error: String, notices: [TaskNotice]
    ) async throws -> Bool
    /// Takes the issue's one reply of the UTC day for commenters without write access, for the effect
    /// `dedupeKey`; true when it is that effect's (taken now, or by an earlier try of the same effect),
    /// false when another reply has it.
    func claimOutsiderReply(repositoryID: Int64, issueNumber: Int, dedupeKey: String) async throws -> Bool
    /// Renews the effect's lease; false when `owner` lost it (another deliverer may have it now).
    func extend(_ effect: PendingSideEffect, owner: String, lease: Duration) async throws -> Bool
    /// Puts the effect back to try again after `delay`.
    func retry(_ id: Int64, owner: String, after delay: Duration, error: String) async throws
    /// Gives up on an effect, keeping the reason; false when it was replaced since it was claimed (its
    /// new payload is delivered instead) or `owner` no longer held it.
    @discardableResult
    func abandon(_ effect: PendingSideEffect, owner: String, error: String) async throws -> Bool
}
