import Foundation

/// One line of a pull request's follow-up log: what a finished follow-up added to the branch, kept in
/// the pull request's description so reviewers see every request in one place.
public struct FollowUpLogEntry: Codable, Sendable, Equatable {
    public var repositoryFullName: String
    public var pullNumber: Int
    public var taskID: UUID
    /// The Markdown line, marker included, as the Finalizer wrote it.
    public var line: String

    public init(repositoryFullName: String, pullNumber: Int, taskID: UUID, line: String) {
        self.repositoryFullName = repositoryFullName
        self.pullNumber = pullNumber
        self.taskID = taskID
        self.line = line
    }
}

/// The follow-up log section of a pull request's description, between two hidden markers.
public enum FollowUpLog {
    public static let start = "<!-- porter:follow-ups -->"
    public static let end = "<!-- /porter:follow-ups -->"
    public static let heading = "### Follow-ups"
    /// GitHub takes descriptions up to 65,536 characters; the log keeps well under that.
    public static let bodyLimit = 60_000

    /// What marks the task's line: present means the line was added, whoever edited the body since.
    public static func marker(_ taskID: UUID) -> String {
        "<!-- porter:follow-up:\(taskID.uuidString.lowercased()) -->"
    }

    /// `body` with `entry`'s line at the end of the log section (the section added at the end when
    /// missing), the oldest lines dropped while the body is over `limit`; nil when the line is there.
    public static func appending(_ entry: FollowUpLogEntry, to body: String?, limit: Int = bodyLimit) -> String? {
        let body = body ?? ""
        guard !body.contains(marker(entry.taskID)) else { return nil }
        let before: String
        let after: String
        var lines: [String]
        if let open = body.range(of: start), let close = body.range(of: end, range: open.upperBound..<body.endIndex) {
            before = String(body[..<open.lowerBound])
            after = String(body[close.upperBound...])
            // `\r\n` is one Character in Swift: split on any line break, not on "\n" alone.
            lines = body[open.upperBound..<close.lowerBound]
                .split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map(String.init)
            while lines.first?.trimmingCharacters(in: .whitespaces).isEmpty == true { lines.removeFirst() }
            while lines.last?.trimmingCharacters(in: .whitespaces).isEmpty == true { lines.removeLast() }
        } else {
            let kept = String(body.reversed().drop(while: \.isWhitespace).reversed())
            before = kept.isEmpty ? "" : kept + "\n\n"
            after = ""
            lines = []
        }
        if !lines.contains(where: { $0.trimmingCharacters(in: .whitespaces) == heading }) {
            lines.insert(contentsOf: [heading, ""], at: 0)
        }
        lines.append(entry.line)
        func render() -> String { before + start + "\n" + lines.joined(separator: "\n") + "\n" + end + after }
        // The oldest follow-ups' lines go first; the new one stays whatever the rest of the body holds.
        var overflow = render().count - limit
        while overflow > 0, let oldest = lines.dropLast().firstIndex(where: isLogLine) {
            overflow -= lines.remove(at: oldest).count + 1
        }
        return render()
    }

    static func isLogLine(_ line: String) -> Bool {
        line.hasPrefix("- ") && line.contains("<!-- porter:follow-up:")
    }
}
