import Foundation

/// What a task does: resolve an issue with a new pull request, or add commits to a pull request
/// Porter opened (a follow-up, asked for on that pull request).
public enum TaskKind: String, Sendable, Hashable, Codable, CaseIterable {
    case issue
    case followUp = "follow_up"
}

/// The kind of GitHub comment a command came in: an issue or pull request conversation comment, a
/// line comment in a pull request's diff, or a review's body. Reactions go to different endpoints for
/// the first two, and a review takes none.
public enum CommentKind: String, Sendable, Hashable, Codable, CaseIterable {
    case issueComment = "issue_comment"
    case reviewComment = "review_comment"
    case review
}

/// Where on a pull request a follow-up was asked for, as the webhook payload showed it. Stored with
/// the task (`task_follow_ups`); the dispatcher builds the prompt from it.
public struct FollowUpRequest: Sendable, Hashable, Codable {
    public enum Source: String, Sendable, Hashable, Codable, CaseIterable {
        /// A comment on the pull request's conversation.
        case conversation
        /// A comment on lines of the diff.
        case reviewComment = "review_comment"
        /// A submitted review's body; its line comments are its context.
        case review
    }

    /// At most this many UTF-8 bytes of a file path are kept.
    public static let pathLimit = 1024
    /// At most this many UTF-8 bytes of a diff hunk are kept.
    public static let diffHunkLimit = 8 * 1024

    public var source: Source
    public var reviewID: Int64?
    public var commentID: Int64?
    public var path: String?
    public var startLine: Int?
    public var line: Int?
    /// `LEFT` (the old version) or `RIGHT` (the new one), as GitHub says it.
    public var side: String?
    public var diffHunk: String?

    /// Text fields are made storable and capped here, so whatever builds one stores what a payload of
    /// any size and content can give.
    public init(
        source: Source, reviewID: Int64? = nil, commentID: Int64? = nil, path: String? = nil, startLine: Int? = nil,
        line: Int? = nil, side: String? = nil, diffHunk: String? = nil
    ) {
        self.source = source
        self.reviewID = reviewID
        self.commentID = commentID
        self.path = path.map { Self.prefix(PromptBuilder.storable($0), bytes: Self.pathLimit) }
        self.startLine = startLine
        self.line = line
        self.side = side.map { Self.prefix(PromptBuilder.storable($0), bytes: 16) }
        self.diffHunk = diffHunk.map { Self.cappedHunk(PromptBuilder.storable($0)) }
    }

    static let cutMarker = "[… earlier lines of the hunk cut …]"

    /// A hunk within `limit` bytes. GitHub's `diff_hunk` runs from the `@@` header down to the line
    /// commented on, so the end matters most: the header is kept, then as many of the last lines as
    /// fit, with a line saying what was cut between them.
    public static func cappedHunk(_ hunk: String, limit: Int = diffHunkLimit) -> String {
        guard hunk.utf8.count > limit else { return hunk }
        let lines = hunk.split(separator: "\n", omittingEmptySubsequences: false)
        let header = lines.first.map(String.init) ?? ""
        let head =
            header.hasPrefix("@@") && header.utf8.count <= limit / 4
            ? header + "\n" + cutMarker : cutMarker
        var budget = limit - head.utf8.count
        var tail: [Substring] = []
        for line in lines.dropFirst().reversed() {
            let cost = line.utf8.count + 1
            guard cost <= budget else { break }
            budget -= cost
            tail.append(line)
        }
        if tail.isEmpty, let last = lines.last {
            // One line longer than the whole budget: its end, cut on a character boundary.
            return head + "\n" + suffix(String(last), bytes: budget - 1)
        }
        return head + "\n" + tail.reversed().joined(separator: "\n")
    }

    /// The longest prefix of `text` of at most `bytes` UTF-8 bytes that ends on a character boundary.
    static func prefix(_ text: String, bytes: Int) -> String {
        guard text.utf8.count > bytes else { return text }
        var result = ""
        var used = 0
        for character in text {
            let size = character.utf8.count
            guard used + size <= bytes else { break }
            used += size
            result.append(character)
        }
        return result
    }

    /// The longest suffix of `text` of at most `bytes` UTF-8 bytes that starts on a character boundary.
    static func suffix(_ text: String, bytes: Int) -> String {
        guard text.utf8.count > bytes else { return text }
        var result: [Character] = []
        var used = 0
        for character in text.reversed() {
            let size = character.utf8.count
            guard used + size <= bytes else { break }
            used += size
            result.append(character)
        }
        return String(result.reversed())
    }
}
