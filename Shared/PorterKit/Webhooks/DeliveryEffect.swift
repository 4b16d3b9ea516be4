import Foundation

/// What one webhook delivery does to Porter's state, decided from the payload alone and applied in
/// the same transaction that records the delivery.
public enum DeliveryEffect: Sendable, Equatable {
    /// Nothing to do; the reason is recorded as the delivery's outcome.
    case ignore(reason: String)
    case pong
    /// A new task, its dispatch job and a wake-up for dispatchers. A nil agent is resolved from the
    /// commenter's settings, else the fallback agent.
    case startTask(TaskOrder)
    /// A durable request for the service that owns the verb.
    case control(ControlVerb, IssueContext)
    /// A reply posted on the issue through the side-effect queue, to a commenter whose permission is
    /// not known yet: the deliverer asks GitHub, and a commenter without write access gets what
    /// `outsiders` allows (`ReplyAudience`).
    case reply(IssueContext, body: String, outsiders: ReplyAudience.Outsiders)
    /// The issue's queued tasks end cancelled; its active ones are marked for cancellation.
    case issueClosed(IssueContext)
    case installationChanged(InstallationChange)
    /// A pull request changed: recorded on the task that opened it, if a task did.
    case pullRequestChanged(PullRequestChange)
    /// The payload lacks what its event needs. Nothing is recorded and GitHub is answered 400, so the
    /// delivery stays failed in the App's log and can be delivered again once it can be read.
    case reject(reason: String)
}

/// Where a command came from: the issue, the commenter and their comment.
public struct IssueContext: Sendable, Equatable, Codable {
    public var issue: IssueReference
    public var requester: Requester
    public var commentID: Int64?
    /// Which kind of comment `commentID` names. Optional because contexts stored in job payloads
    /// before it existed must still decode; nil there means an issue comment.
    public var commentKind: CommentKind?

    public init(issue: IssueReference, requester: Requester, commentID: Int64?, commentKind: CommentKind? = nil) {
        self.issue = issue
        self.requester = requester
        self.commentID = commentID
        self.commentKind = commentKind
    }
}

/// A run command as it will be stored.
public struct TaskOrder: Sendable, Equatable {
    public var context: IssueContext
    public var options: RunOptions
    /// Set when the command was made on a pull request: the task is a follow-up on it.
    public var followUp: FollowUpRequest?

    public init(context: IssueContext, options: RunOptions, followUp: FollowUpRequest? = nil) {
        self.context = context
        self.options = options
        self.followUp = followUp
    }
}

/// A change to an installation or its repositories.
public struct InstallationChange: Sendable, Equatable {
    public enum Kind: String, Sendable { case upsert, deleted, suspended }

    public var installationID: Int64
    public var account: (id: Int64, login: String, type: String)?
    public var kind: Kind
    public var repositorySelection: String?
    public var added: [(id: Int64, fullName: String, isPrivate: Bool)]
    public var removed: [Int64]

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.installationID == rhs.installationID && lhs.kind == rhs.kind && lhs.account?.id == rhs.account?.id
            && lhs.added.map(\.id) == rhs.added.map(\.id) && lhs.removed == rhs.removed
    }
}

/// Where a pull request stands, as Porter records it on the task that opened it.
public enum PullRequestState: String, Sendable, Codable, CaseIterable {
    case open, closed, merged
}

/// A pull request as a `pull_request` event shows it after the change. Events carry the whole pull
/// request, so the newest one (by `updatedAt`) tells where it stands whatever order they arrive in.
public struct PullRequestChange: Sendable, Equatable {
    /// The event's action: `closed`, `reopened`, `ready_for_review` or `converted_to_draft`.
    public var action: String
    public var repositoryID: Int64
    public var number: Int
    public var state: PullRequestState
    /// Nil when the payload does not say; the recorded value is kept.
    public var draft: Bool?
    public var closedAt: Date?
    public var mergedAt: Date?
    /// When GitHub last changed the pull request: orders events that arrive late.
    public var updatedAt: Date

    public init(
        action: String, repositoryID: Int64, number: Int, state: PullRequestState, draft: Bool?, closedAt: Date?,
        mergedAt: Date?, updatedAt: Date
    ) {
        self.action = action
        self.repositoryID = repositoryID
        self.number = number
        self.state = state
        self.draft = draft
        self.closedAt = closedAt
        self.mergedAt = mergedAt
        self.updatedAt = updatedAt
    }
}
