import Foundation

/// A pull request, with the fields Porter reads; everything else GitHub sends is left unread, so a
/// change in it cannot make the answer unreadable.
public struct GitHubPullRequest: Codable, Sendable, Equatable {
    /// The repository a side of a pull request lives in; null on GitHub when a fork was deleted.
    public struct Repository: Codable, Sendable, Equatable {
        public var id: Int64
    }

    /// The branch and commit the changes come from.
    public struct Head: Codable, Sendable, Equatable {
        public var ref: String
        public var sha: String
        public var repo: Repository?
    }

    /// The branch the changes go into.
    public struct Base: Codable, Sendable, Equatable {
        public var ref: String
        public var repo: Repository?
    }

    public var number: Int
    public var state: String
    public var title: String
    public var body: String?
    public var draft: Bool?
    public var merged: Bool?
    public var mergedAt: Date?
    public var closedAt: Date?
    public var htmlUrl: String
    public var head: Head
    public var base: Base
    /// GraphQL's id for it, which `markPullRequestReadyForReview` takes.
    public var nodeId: String?
    /// Whether the head merges cleanly into the base; null while GitHub is still working it out.
    public var mergeable: Bool?
    /// `clean`, `dirty` (conflicts), `blocked` (protection or required checks), `unstable` (checks
    /// failing that are not required), `draft`, `behind`, `has_hooks` or `unknown`.
    public var mergeableState: String?
    public var additions: Int?
    public var deletions: Int?
    public var changedFiles: Int?
}

/// What to open a pull request with. `head` is a branch of the same repository or `owner:branch`.
public struct NewPullRequest: Codable, Sendable, Equatable {
    public var title: String
    public var head: String
    public var base: String
    public var body: String?
    public var draft: Bool
    public var maintainerCanModify: Bool

    public init(
        title: String, head: String, base: String, body: String? = nil, draft: Bool = false,
        maintainerCanModify: Bool = true
    ) {
        self.title = title
        self.head = head
        self.base = base
        self.body = body
        self.draft = draft
        self.maintainerCanModify = maintainerCanModify
    }
}

/// One file changed by a pull request.
public struct GitHubPullRequestFile: Codable, Sendable, Equatable {
    public var filename: String
    /// `added`, `removed`, `modified`, `renamed`, `copied`, `changed` or `unchanged`.
    public var status: String
    public var additions: Int?
    public var deletions: Int?
    public var changes: Int?
    /// The file's unified diff hunks; GitHub leaves it out for binary files and very large diffs.
    public var patch: String?
    /// The name before a rename.
    public var previousFilename: String?
    public var blobUrl: String?

    /// GitHub sends a binary file (or an empty one) with no patch and no changed lines; a rename or a
    /// removal without a patch is neither.
    public var isBinary: Bool {
        patch == nil && (changes ?? 0) == 0 && (additions ?? 0) == 0 && (deletions ?? 0) == 0
            && status != "renamed" && status != "removed"
    }
}

/// The answer to a merge.
public struct GitHubMergeResult: Codable, Sendable, Equatable {
    public var sha: String
    public var merged: Bool
}

/// How a pull request's commits land on the base branch.
public enum GitHubMergeMethod: String, Codable, Sendable, CaseIterable {
    /// In the order a review page offers them.
    case squash, merge, rebase
}

/// A comment on lines of a pull request's diff, with the fields a follow-up's prompt reads.
public struct GitHubReviewComment: Codable, Sendable, Equatable {
    public var id: Int64
    public var path: String
    public var line: Int?
    public var startLine: Int?
    /// `LEFT` (the old code) or `RIGHT` (the new).
    public var side: String?
    public var diffHunk: String
    public var body: String
    /// Null on GitHub for a deleted account.
    public var user: GitHubUser?
}
