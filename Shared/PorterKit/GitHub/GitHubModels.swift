import Foundation

/// A GitHub account (user, organization or bot), as GitHub embeds it in other objects.
public struct GitHubUser: Codable, Sendable, Equatable {
    public var id: Int
    public var login: String
    public var type: String?
    /// The display name, when the user set one (only `GET /user` carries it).
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
    public var cloneUrl: String?
    /// The merge methods the repository allows; GitHub sends them to those who may push.
    public var allowMergeCommit: Bool?
    public var allowSquashMerge: Bool?
    public var allowRebaseMerge: Bool?
    public var deleteBranchOnMerge: Bool?

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
    public struct Label: Codable, Sendable, Equatable {
        public var name: String
    }

    public struct PullRequestLink: Codable, Sendable, Equatable {
        public var url: String?
    }

    public var id: Int
    public var number: Int
    public var title: String
    public var body: String?
    public var state: String
    public var user: GitHubUser
    public var labels: [Label]
    public var htmlUrl: String
    public var pullRequest: PullRequestLink?
}

/// A comment on an issue or pull request conversation.
public struct GitHubIssueComment: Codable, Sendable, Equatable {
    public var id: Int
    public var body: String
    public var user: GitHubUser
    public var htmlUrl: String
}

/// A reaction on a comment.
public struct GitHubReaction: Codable, Sendable, Equatable {
    public var id: Int
    public var content: String
}

/// A label as the labels endpoints return it.
public struct GitHubLabel: Codable, Sendable, Equatable {
    public var id: Int
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
