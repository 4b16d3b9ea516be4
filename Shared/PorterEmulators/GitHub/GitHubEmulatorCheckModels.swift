import Foundation

/// A check run on a commit, as a CI App reports it through the Checks API.
struct EmulatedCheckRun: Sendable {
    var id: Int
    var repositoryID: Int
    var headSHA: String
    var name: String
    /// `queued`, `in_progress` or `completed` (and GitHub's rarer `waiting`, `requested`, `pending`).
    var status: String
    /// Set once completed: `success`, `failure`, `neutral`, `cancelled`, `skipped`, `timed_out`,
    /// `action_required` or `stale`.
    var conclusion: String?
    var detailsURL: String?
    var startedAt: Date
    var completedAt: Date?
    /// The App that reported it, by slug and name (GitHub Actions unless told otherwise).
    var appSlug: String
    var appName: String
    var checkSuiteID: Int
}

/// A commit status, as the older Statuses API sets it for one context.
struct EmulatedCommitStatus: Sendable {
    var id: Int
    var repositoryID: Int
    var sha: String
    var context: String
    /// `error`, `failure`, `pending` or `success`.
    var state: String
    var description: String?
    var targetURL: String?
    var creator: String
    var createdAt: Date
    var updatedAt: Date
}

/// How a pull request's commits land on its base, as `merge_method` names it.
public enum EmulatedMergeMethod: String, Sendable, CaseIterable, Decodable {
    case merge, squash, rebase
}

/// What one seeded commit does to files besides writing text: bytes that are not text, files
/// removed, and files moved (from → to, keeping their content unless the new path is rewritten).
struct FileChanges: Sendable {
    var binary: [String: Data] = [:]
    var deletions: [String] = []
    var renames: [String: String] = [:]
}
