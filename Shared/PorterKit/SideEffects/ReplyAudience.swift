import Foundation

/// Whom a reply answers, when that person may lack write access to the repository. Anyone can
/// comment on a public issue; what Porter writes in answer is bounded, so a stranger cannot make the
/// App post under its name at will: someone who may write gets every reply, everyone else at most one
/// reply per issue per day (all of them together), and some replies (`help`) none at all.
public struct ReplyAudience: Codable, Sendable, Equatable {
    /// What a commenter without write access gets.
    public enum Outsiders: String, Codable, Sendable {
        /// The issue's one outsider reply of the day, if no other reply has taken it.
        case oncePerDay = "once_per_day"
        /// Nothing.
        case none
    }

    public var login: String
    public var repositoryID: Int64
    /// Whether the commenter may write, when whoever queued the reply knows already (the dispatcher
    /// asked GitHub); nil makes the deliverer ask GitHub before posting.
    public var mayWrite: Bool?
    public var outsiders: Outsiders

    public init(login: String, repositoryID: Int64, mayWrite: Bool? = nil, outsiders: Outsiders) {
        self.login = login
        self.repositoryID = repositoryID
        self.mayWrite = mayWrite
        self.outsiders = outsiders
    }
}

extension TaskNotice {
    /// A reply to `requester` on `issue`, who has not been confirmed to have write access: at most the
    /// issue's one outsider reply of the day, and nothing else (no reaction, status comment or label).
    public static func outsiderReply(
        on issue: IssueReference, to requester: Requester, body: String, dedupeKey: String
    ) -> TaskNotice {
        TaskNotice(
            .createComment(
                CommentRequest(
                    repositoryFullName: issue.repositoryFullName, issueNumber: issue.number, body: body,
                    audience: ReplyAudience(
                        login: requester.login, repositoryID: issue.repositoryID, mayWrite: false,
                        outsiders: .oncePerDay))),
            dedupeKey: dedupeKey)
    }
}
