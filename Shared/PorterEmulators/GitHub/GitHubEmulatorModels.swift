import Foundation

/// The GitHub App the emulator plays the server side for.
public struct EmulatedGitHubApp: Sendable {
    public var id: Int
    public var slug: String
    /// The App's RSA public key (PEM); installation-token requests must carry a JWT it verifies.
    public var publicKeyPEM: String
    public var clientID: String
    public var clientSecret: String
    /// The permissions every installation grants.
    public var permissions: [String: String]

    public init(
        id: Int, slug: String, publicKeyPEM: String, clientID: String = "Iv1.emulated",
        clientSecret: String = "emulated-secret",
        permissions: [String: String] = [
            "contents": "write", "issues": "write", "pull_requests": "write", "metadata": "read",
            "checks": "read", "statuses": "read",
        ]
    ) {
        self.id = id
        self.slug = slug
        self.publicKeyPEM = publicKeyPEM
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.permissions = permissions
    }
}

struct EmulatedUser: Sendable {
    var id: Int
    var login: String
    var type: String
}

struct EmulatedRepository: Sendable {
    var id: Int
    var owner: String
    var name: String
    var defaultBranch: String
    var isPrivate: Bool
    var createdAt: Date
    /// The repository this one is a fork of.
    var parentID: Int? = nil
    /// The merge methods the repository's settings allow, and whether a merge deletes the head branch.
    var allowMergeCommit = true
    var allowSquashMerge = true
    var allowRebaseMerge = true
    var deleteBranchOnMerge = false
    var fullName: String { "\(owner)/\(name)" }
}

struct EmulatedIssue: Sendable {
    var id: Int
    var number: Int
    var repositoryID: Int
    var title: String
    var body: String?
    var author: String
    var state = "open"
    var labels: [String] = []
    var isPull = false
    /// Opened through the App with a user's token: GitHub names the App in `performed_via_github_app`.
    var viaApp = false
    var createdAt: Date
    var updatedAt: Date
    var closedAt: Date?
}

struct EmulatedComment: Sendable {
    var id: Int
    var repositoryID: Int
    var issueNumber: Int
    var author: String
    var body: String
    var createdAt: Date
    var updatedAt: Date
    var reactions: [(id: Int, content: String, user: String)] = []
    /// Made through the App with a user's token: GitHub names the App in `performed_via_github_app`.
    var viaApp = false
}

struct EmulatedPull: Sendable {
    var id: Int
    var number: Int
    var repositoryID: Int
    /// Where `head` lives: the base repository, or a fork of it.
    var headRepositoryID: Int
    var title: String
    var body: String?
    var head: String
    var base: String
    /// Who opened it: the App's bot or a person.
    var author: String
    var draft: Bool
    var state = "open"
    var mergedAt: Date?
    var mergeCommitSHA: String?
    var mergedBy: String?
    /// The base and head commits when the pull request stopped following its branches (merged, or
    /// closed because a branch was deleted): its diff, counts and files stay what they were then.
    var frozen: (base: String, head: String)?
    var createdAt: Date
    var updatedAt: Date
    var closedAt: Date?

    var isFromFork: Bool { headRepositoryID != repositoryID }
}

/// A comment on a line (or lines) of a pull request's diff.
struct EmulatedReviewComment: Sendable {
    var id: Int
    var repositoryID: Int
    var pullNumber: Int
    /// Every review comment belongs to a review; a single comment gets one of its own, as on GitHub.
    var reviewID: Int
    var author: String
    var body: String
    var path: String
    var line: Int
    var startLine: Int?
    /// `RIGHT` (the head's lines) or `LEFT` (the base's).
    var side: String
    var diffHunk: String
    /// The line's place in the file's diff, GitHub's older way to name it.
    var position: Int
    var commitID: String
    var inReplyTo: Int?
    var createdAt: Date
    var reactions: [(id: Int, content: String, user: String)] = []
}

/// A submitted pull request review.
struct EmulatedReview: Sendable {
    var id: Int
    var repositoryID: Int
    var pullNumber: Int
    var author: String
    var body: String?
    /// GitHub's REST spelling: `COMMENTED`, `APPROVED` or `CHANGES_REQUESTED`.
    var state: String
    var commitID: String
    var submittedAt: Date
}

struct EmulatedInstallation: Sendable {
    var id: Int
    var account: String
    /// nil when the installation covers all of the account's repositories.
    var repositoryIDs: Set<Int>?
}

struct TokenGrant: Sendable {
    var installationID: Int
    /// nil when the token reaches every repository of the installation.
    var repositoryIDs: Set<Int>?
    var permissions: [String: String]
    var expiresAt: Date
    var revoked = false
}

/// One logged webhook delivery attempt.
public struct EmulatedDelivery: Sendable {
    public var id: Int
    public var guid: String
    public var event: String
    public var action: String?
    public var installationID: Int?
    public var repositoryID: Int?
    public var deliveredAt: Date
    public var redelivery: Bool
    /// The target's HTTP status, or 0 when it never answered.
    public var statusCode: Int
    public var durationSeconds: Double
    /// The exact bytes that were sent, and their signature header.
    public var payload: Data
    public var signature: String
    /// GitHub's words for the outcome: `OK`, `Invalid HTTP Response: 503`, `timed out`.
    public var status = ""
}

/// What a person does at `/login/oauth/authorize`.
public enum OAuthConsent: String, Sendable, CaseIterable, Decodable {
    /// Authorizes at once and redirects with a code, as GitHub does for an App the user already authorized.
    case automatic
    /// Shows a consent page with Authorize and Cancel buttons.
    case page
    /// Redirects at once as if the user clicked Cancel.
    case deny
}

/// A code from `/login/oauth/authorize`, good for one exchange within ten minutes.
struct OAuthCode: Sendable {
    var login: String
    var redirectURI: String
    /// The S256 challenge, when the authorize request carried one.
    var codeChallenge: String?
    var expiresAt: Date
}

/// A user access token; nil `expiresAt` for a token that never expires (an App that opted out).
struct UserToken: Sendable {
    var login: String
    var expiresAt: Date?
}

/// A refresh token, and the access token it was issued with: refreshing retires both.
struct RefreshGrant: Sendable {
    var login: String
    var accessToken: String
    var expiresAt: Date
}
