import Foundation

/// The parts of GitHub webhook payloads Porter reads. Every field GitHub may omit is optional, so a
/// payload with an unexpected shape is ignored with a reason instead of failing the delivery.
public enum WebhookPayload {
    /// Reads an envelope. The types name their JSON keys, so the decoder converts none: converting
    /// every key of every object read (a repository has about ninety) doubled the decoding's time.
    public static func envelope(from data: Data) throws -> Envelope {
        try decoder.decode(Envelope.self, from: data)
    }

    static let decoder = JSONDecoder()

    public struct Account: Decodable, Sendable {
        public var id: Int64
        public var login: String
        public var type: String?

        enum CodingKeys: String, CodingKey {
            case id, login, type
        }
    }

    public struct Installation: Decodable, Sendable {
        public var id: Int64
        public var account: Account?
        public var repositorySelection: String?

        enum CodingKeys: String, CodingKey {
            case id, account, repositorySelection = "repository_selection"
        }
    }

    public struct Repository: Decodable, Sendable {
        public var id: Int64
        public var fullName: String
        public var `private`: Bool?

        enum CodingKeys: String, CodingKey {
            case id, fullName = "full_name", `private`
        }
    }

    public struct App: Decodable, Sendable {
        public var id: Int64
        public var slug: String?

        enum CodingKeys: String, CodingKey {
            case id, slug
        }
    }

    /// An issue comment, or (in `pull_request_review_comment` events) a comment on lines of a pull
    /// request's diff, which adds where it was made.
    public struct Comment: Decodable, Sendable {
        public var id: Int64
        public var body: String?
        public var user: Account?
        public var performedViaGithubApp: App?
        public var path: String?
        /// The last line commented on; nil when the comment is on a line the diff no longer shows.
        public var line: Int?
        /// The first line of a comment on several lines.
        public var startLine: Int?
        /// `LEFT` or `RIGHT`.
        public var side: String?
        /// The diff from the hunk's header down to the line commented on.
        public var diffHunk: String?
        public var pullRequestReviewId: Int64?
        public var inReplyToId: Int64?

        enum CodingKeys: String, CodingKey {
            case id, body, user, performedViaGithubApp = "performed_via_github_app", path, line, startLine =
                "start_line", side, diffHunk = "diff_hunk", pullRequestReviewId = "pull_request_review_id",
                inReplyToId = "in_reply_to_id"
        }
    }

    /// A `pull_request_review` event's review.
    public struct Review: Decodable, Sendable {
        public var id: Int64
        public var body: String?
        public var user: Account?
        /// `approved`, `commented`, `changes_requested`, …
        public var state: String?

        enum CodingKeys: String, CodingKey {
            case id, body, user, state
        }
    }

    public struct Issue: Decodable, Sendable {
        public var number: Int
        public var title: String?
        public var state: String?
        public var locked: Bool?
        /// Present (with URLs) when the issue is a pull request.
        public var pullRequest: PullRequestLink?

        enum CodingKeys: String, CodingKey {
            case number, title, state, locked, pullRequest = "pull_request"
        }
    }

    public struct PullRequestLink: Decodable, Sendable {
        public var url: String?

        enum CodingKeys: String, CodingKey {
            case url
        }
    }

    /// The pull request of a `pull_request`, `pull_request_review` or `pull_request_review_comment`
    /// event: what Porter records of its outcome, and where a follow-up is asked for.
    public struct PullRequest: Decodable, Sendable {
        public struct Side: Decodable, Sendable {
            public var ref: String?
            public var sha: String?
            /// Null when the fork it came from was deleted.
            public var repo: Repository?

            enum CodingKeys: String, CodingKey {
                case ref, sha, repo
            }
        }

        public var number: Int?
        public var title: String?
        public var user: Account?
        /// `open` or `closed`; a merged pull request is closed with `merged` true.
        public var state: String?
        public var draft: Bool?
        public var merged: Bool?
        /// ISO 8601 times, read as text so that one GitHub wrote differently is named in the refusal.
        public var updatedAt: String?
        public var closedAt: String?
        public var mergedAt: String?
        public var head: Side?
        public var base: Side?

        enum CodingKeys: String, CodingKey {
            case number, title, user, state, draft, merged, updatedAt = "updated_at", closedAt = "closed_at", mergedAt =
                "merged_at", head, base
        }
    }

    /// The envelope every event shares.
    public struct Envelope: Decodable, Sendable {
        public var action: String?
        public var installation: Installation?
        public var repository: Repository?
        public var sender: Account?
        public var comment: Comment?
        public var issue: Issue?
        public var repositories: [Repository]?
        public var repositoriesAdded: [Repository]?
        public var repositoriesRemoved: [Repository]?
        /// The number of the pull request a `pull_request` event is about.
        public var number: Int?
        public var pullRequest: PullRequest?
        public var review: Review?

        enum CodingKeys: String, CodingKey {
            case action, installation, repository, sender, comment, issue, repositories, repositoriesAdded =
                "repositories_added", repositoriesRemoved = "repositories_removed", number, pullRequest =
                "pull_request", review
        }
    }

    /// Where and why a payload could not be read, in terms of its JSON keys, for the answer to GitHub.
    public static func problem(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "the body could not be read" }
        let context: DecodingError.Context
        switch error {
        case .typeMismatch(_, let found), .valueNotFound(_, let found), .dataCorrupted(let found): context = found
        case .keyNotFound(let key, let found):
            return "\(path(found.codingPath + [key])) is missing"
        @unknown default: return "the body could not be read"
        }
        let detail =
            context.debugDescription.hasSuffix(".")
            ? String(context.debugDescription.dropLast()) : context.debugDescription
        return context.codingPath.isEmpty ? detail : "\(path(context.codingPath)): \(detail)"
    }

    static func path(_ keys: [any CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? snakeCased($0.stringValue) }.joined(separator: ".")
            .replacingOccurrences(of: ".[", with: "[")
    }

    /// The JSON spelling of a key the decoder converted from snake case.
    static func snakeCased(_ key: String) -> String {
        var result = ""
        for character in key {
            if character.isUppercase {
                result += "_" + character.lowercased()
            } else {
                result.append(character)
            }
        }
        return result
    }
}
