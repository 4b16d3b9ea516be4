import Foundation

/// The GitHub issue or pull request a task was requested on.
public struct IssueReference: Sendable, Hashable, Codable {
    public var installationID: Int64
    public var repositoryID: Int64
    public var repositoryFullName: String
    public var number: Int
    public var isPullRequest: Bool

    /// `owner/name` split in two, or nil when either part is missing.
    public static func ownerAndName(_ fullName: String) -> (String, String)? {
        let parts = fullName.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        return (parts[0], parts[1])
    }

    public init(
        installationID: Int64, repositoryID: Int64, repositoryFullName: String, number: Int, isPullRequest: Bool = false
    ) {
        self.installationID = installationID
        self.repositoryID = repositoryID
        self.repositoryFullName = repositoryFullName
        self.number = number
        self.isPullRequest = isPullRequest
    }
}

/// The GitHub user who asked for a task.
public struct Requester: Sendable, Hashable, Codable {
    public var id: Int64
    public var login: String

    public init(id: Int64, login: String) {
        self.id = id
        self.login = login
    }
}

/// What the command asked for: agent, options and free-text instructions.
public struct TaskRequest: Sendable, Hashable, Codable {
    public var agent: Agent
    public var model: String?
    public var priority: TaskPriority
    public var draft: Bool
    public var baseBranch: String?
    public var instructions: String

    public init(
        agent: Agent, model: String? = nil, priority: TaskPriority = .normal, draft: Bool = true,
        baseBranch: String? = nil, instructions: String
    ) {
        self.agent = agent
        self.model = model
        self.priority = priority
        self.draft = draft
        self.baseBranch = baseBranch
        self.instructions = instructions
    }
}

/// A task as stored: one request to turn an issue into a pull request.
public struct PorterTask: Sendable, Hashable, Identifiable {
    public var id: UUID
    public var issue: IssueReference
    public var requester: Requester
    public var request: TaskRequest
    public var status: TaskStatus
    public var statusReason: String?
    public var triggerCommentID: Int64?
    public var deliveryID: String?
    public var retryOf: UUID?
    public var createdAt: Date
    public var updatedAt: Date
    public var finishedAt: Date?
    /// An issue task, or a follow-up on a pull request (whose number is then `issue.number`).
    public var kind: TaskKind
    /// For a follow-up: the task that opened the pull request, when Porter opened it.
    public var followUpOf: UUID?
    /// The kind of comment that carried the command; nil for tasks from the web app and older tasks.
    public var triggerCommentKind: CommentKind?
}

/// A new task before it is stored.
public struct NewTask: Sendable {
    public var id: UUID
    public var issue: IssueReference
    public var requester: Requester
    public var request: TaskRequest
    public var triggerCommentID: Int64?
    public var deliveryID: String?
    public var retryOf: UUID?
    public var kind: TaskKind
    public var followUpOf: UUID?
    public var triggerCommentKind: CommentKind?
    /// Where on the pull request a follow-up was asked for: stored with the task when set.
    public var followUp: FollowUpRequest?

    public init(
        id: UUID = UUID(), issue: IssueReference, requester: Requester, request: TaskRequest,
        triggerCommentID: Int64? = nil, deliveryID: String? = nil, retryOf: UUID? = nil, kind: TaskKind = .issue,
        followUpOf: UUID? = nil, triggerCommentKind: CommentKind? = nil, followUp: FollowUpRequest? = nil
    ) {
        self.id = id
        self.issue = issue
        self.requester = requester
        self.request = request
        self.triggerCommentID = triggerCommentID
        self.deliveryID = deliveryID
        self.retryOf = retryOf
        self.kind = kind
        self.followUpOf = followUpOf
        self.triggerCommentKind = triggerCommentKind
        self.followUp = followUp
    }
}

/// What an attempt to change a task's status did.
public enum TransitionOutcome: Sendable, Equatable {
    /// The task moved from `from` to the requested status.
    case moved(from: TaskStatus)
    /// Nothing changed: the task is in `current`, from which the requested status is not reachable.
    case unchanged(current: TaskStatus)
    /// No task has that id.
    case notFound

    public var moved: Bool { if case .moved = self { true } else { false } }
}
