import Foundation

/// A write to GitHub, recorded with the state change that decided it and delivered later.
public enum SideEffect: Sendable, Equatable {
    case createComment(CommentRequest)
    /// A task's one status comment: posted the first time, edited in place after that.
    case statusComment(CommentRequest)
    case updateComment(CommentEdit)
    case addReaction(ReactionRequest)
    case setLabels(LabelChange)
    /// A finished task's pull request, then its final status comment with the PR's number.
    case openPullRequest(PullRequestOrder)
    /// A finished follow-up's line in its pull request's description, added once.
    case appendFollowUpLog(FollowUpLogEntry)

    /// The `kind` column.
    public var kind: String {
        switch self {
        case .createComment: "create_comment"
        case .statusComment: "status_comment"
        case .updateComment: "update_comment"
        case .addReaction: "add_reaction"
        case .setLabels: "set_labels"
        case .openPullRequest: "open_pull_request"
        case .appendFollowUpLog: "append_follow_up_log"
        }
    }

    func payloadJSON() throws -> String {
        let data =
            switch self {
            case .createComment(let request), .statusComment(let request): try JSONEncoder().encode(request)
            case .updateComment(let edit): try JSONEncoder().encode(edit)
            case .addReaction(let reaction): try JSONEncoder().encode(reaction)
            case .setLabels(let change): try JSONEncoder().encode(change)
            case .openPullRequest(let order): try JSONEncoder().encode(order)
            case .appendFollowUpLog(let entry): try JSONEncoder().encode(entry)
            }
        return String(decoding: data, as: UTF8.self)
    }

    init(kind: String, payload: String) throws {
        let data = Data(payload.utf8)
        switch kind {
        case "create_comment": self = .createComment(try JSONDecoder().decode(CommentRequest.self, from: data))
        case "status_comment": self = .statusComment(try JSONDecoder().decode(CommentRequest.self, from: data))
        case "update_comment": self = .updateComment(try JSONDecoder().decode(CommentEdit.self, from: data))
        case "add_reaction": self = .addReaction(try JSONDecoder().decode(ReactionRequest.self, from: data))
        case "set_labels": self = .setLabels(try JSONDecoder().decode(LabelChange.self, from: data))
        case "open_pull_request":
            self = .openPullRequest(try JSONDecoder().decode(PullRequestOrder.self, from: data))
        case "append_follow_up_log":
            self = .appendFollowUpLog(try JSONDecoder().decode(FollowUpLogEntry.self, from: data))
        default: throw SideEffectError.unknownKind(kind)
        }
    }
}

/// Replaces a comment's body (the status comment, edited in place through a task's life).
public struct CommentEdit: Codable, Sendable, Equatable {
    public var repositoryFullName: String
    public var commentID: Int64
    public var body: String

    public init(repositoryFullName: String, commentID: Int64, body: String) {
        self.repositoryFullName = repositoryFullName
        self.commentID = commentID
        self.body = body
    }
}

/// A reaction on a comment, such as 👀 on the command that started a task.
public struct ReactionRequest: Codable, Sendable, Equatable {
    public var repositoryFullName: String
    public var commentID: Int64
    public var content: String
    /// The kind of comment `commentID` names: a conversation comment (nil in rows queued before line
    /// comments took reactions) or a line comment of a pull request's diff, whose reactions GitHub
    /// takes at another endpoint. A review's body takes none.
    public var subject: CommentKind?

    public init(repositoryFullName: String, commentID: Int64, content: String, subject: CommentKind? = nil) {
        self.repositoryFullName = repositoryFullName
        self.commentID = commentID
        self.content = content
        self.subject = subject
    }

    /// 👀 on the comment that carried a command, or nil for one that takes no reaction (a review).
    public static func eyes(
        repositoryFullName: String, commentID: Int64?, kind: CommentKind?
    ) -> ReactionRequest? {
        guard let commentID, kind != .review else { return nil }
        return ReactionRequest(
            repositoryFullName: repositoryFullName, commentID: commentID, content: "eyes",
            subject: kind == .reviewComment ? .reviewComment : nil)
    }
}

/// Labels to remove and add on an issue, such as moving `porter:queued` to `porter:running`.
public struct LabelChange: Codable, Sendable, Equatable {
    public var repositoryFullName: String
    public var issueNumber: Int
    public var add: [String]
    public var remove: [String]

    public init(repositoryFullName: String, issueNumber: Int, add: [String], remove: [String]) {
        self.repositoryFullName = repositoryFullName
        self.issueNumber = issueNumber
        self.add = add
        self.remove = remove
    }
}
