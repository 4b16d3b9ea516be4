import Foundation

/// A GitHub account (user, organization or bot), as GitHub embeds it in other objects: Porter reads
/// whose it is and whether it is a bot, nothing else.
public struct GitHubUser: Codable, Sendable, Equatable {
    public var login: String
    public var type: String?
}

/// The signed-in user, from `GET /user`: what sign-in stores.
public struct GitHubProfile: Codable, Sendable, Equatable {
    public var id: Int
    public var login: String
    /// The display name, when the user set one.
    public var name: String?
    public var avatarUrl: String?
}

/// A repository, with the fields Porter reads.
public struct GitHubRepository: Codable, Sendable, Equatable {
    public var id: Int
    public var name: String
    public var fullName: String
    public var owner: GitHubUser
    public var `private`: Bool
    public var defaultBranch: String
    /// The merge methods the repository allows; GitHub sends them to those who may push.
    public var allowMergeCommit: Bool?
    public var allowSquashMerge: Bool?
    public var allowRebaseMerge: Bool?

    /// The methods it allows, squash first. GitHub tells only those who may push; without that, every
    /// method is offered and GitHub refuses the ones it does not allow.
    public var mergeMethods: [GitHubMergeMethod] {
        let allowed: [(GitHubMergeMethod, Bool?)] = [
            (.squash, allowSquashMerge), (.merge, allowMergeCommit), (.rebase, allowRebaseMerge),
        ]
        return allowed.filter { $0.1 ?? true }.map(\.0)
    }
}

/// An issue (pull requests are issues too; `pullRequest` is set for those).
public struct GitHubIssue: Codable, Sendable, Equatable {
    /// Present on pull requests only; its content is not read.
    public struct PullRequestLink: Codable, Sendable, Equatable {}

    public var number: Int
    public var title: String
    public var body: String?
    /// `open` or `closed`.
    public var state: String
    public var user: GitHubUser
    public var htmlUrl: String
    public var pullRequest: PullRequestLink?
}

/// A comment on an issue or pull request conversation.
public struct GitHubIssueComment: Codable, Sendable, Equatable {
    public var id: Int
    public var body: String
    public var user: GitHubUser
}

/// A reaction on a comment; Porter keeps only its id, when GitHub gives one.
public struct GitHubReaction: Codable, Sendable, Equatable {
    public var id: Int?
}

/// A label as the labels endpoints return it.
public struct GitHubLabel: Codable, Sendable, Equatable {
    public var name: String
}

/// The reaction contents GitHub accepts.
public enum GitHubReactionContent: String, Codable, Sendable {
    case plusOne = "+1"
    case minusOne = "-1"
    case laugh, confused, heart, hooray, rocket, eyes
}

/// A branch as a follow-up checks it before pushing to it.
public struct GitHubBranch: Sendable, Equatable {
    public var name: String
    public var sha: String
    public var isProtected: Bool

    public init(name: String, sha: String, isProtected: Bool) {
        self.name = name
        self.sha = sha
        self.isProtected = isProtected
    }
}
