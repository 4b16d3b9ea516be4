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
    /// A reply posted on the issue through the side-effect queue.
    case reply(IssueContext, body: String)
    /// The issue's queued tasks end cancelled; its active ones are marked for cancellation.
    case issueClosed(IssueContext)
    case installationChanged(InstallationChange)
}

/// Where a command came from: the issue, the commenter and their comment.
public struct IssueContext: Sendable, Equatable, Codable {
    public var issue: IssueReference
    public var requester: Requester
    public var commentID: Int64?

    public init(issue: IssueReference, requester: Requester, commentID: Int64?) {
        self.issue = issue
        self.requester = requester
        self.commentID = commentID
    }
}

/// A run command as it will be stored.
public struct TaskOrder: Sendable, Equatable {
    public var context: IssueContext
    public var options: RunOptions

    public init(context: IssueContext, options: RunOptions) {
        self.context = context
        self.options = options
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
