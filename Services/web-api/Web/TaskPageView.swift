import Foundation
import PorterKit

/// A task as `GET /api/tasks/:id` answers it.
struct TaskJSON: Encodable {
    struct Event: Encodable {
        var id: Int64
        var attempt: Int?
        var kind: String
        var message: String
        var createdAt: Date
    }

    var id: String
    var repository: String
    var issueNumber: Int
    var issueTitle: String?
    var requester: String
    var agent: String
    var model: String?
    var status: String
    var statusReason: String?
    var phase: String?
    var branch: String?
    var pullRequestURL: String?
    var createdAt: Date
    var startedAt: Date?
    var finishedAt: Date?
    var canControl: Bool
    var attempts: [TaskOverview.Attempt]
    var events: [Event]
    var logTail: [String]

    init(_ overview: TaskOverview, canControl: Bool) {
        let task = overview.task
        id = task.id.uuidString.lowercased()
        repository = task.issue.repositoryFullName
        issueNumber = task.issue.number
        issueTitle = overview.issueTitle
        requester = task.requester.login
        agent = task.request.agent.rawValue
        model = task.request.model
        status = task.status.rawValue
        statusReason = task.statusReason
        phase = overview.phase
        branch = overview.branch
        pullRequestURL = overview.pullRequestURL
        createdAt = task.createdAt
        startedAt = overview.startedAt
        finishedAt = task.finishedAt
        self.canControl = canControl && overview.latestOnIssue
        attempts = overview.attempts
        events = overview.events.map {
            Event(id: $0.id, attempt: $0.attempt, kind: $0.kind, message: $0.message, createdAt: $0.createdAt)
        }
        logTail = overview.logTail
    }
}

/// The task page's view model.
struct TaskPageView {
    var page: Chrome
    var task: TaskJSON
    var statusClass: String
    var statusLabel: String
    var issueURL: String
    var duration: String?
    var created: String
    var canStop: Bool
    var canRetry: Bool
    var hasLog: Bool
    var events: [Row]
    var attempts: [TaskOverview.Attempt]
    var failed: Bool
    /// Stop or Retry was just asked for from this page.
    var requested = false
    /// Where the page's live stream starts (`seq-event`).
    var since: String?
    /// Whether the page listens for changes: until the task has finished.
    var live: Bool
    var startedISO: String?
    /// Set for a follow-up: the pull request it adds commits to, and the task that opened it.
    var followUp: FollowUp?

    struct FollowUp {
        var number: Int
        var pullURL: String
        var original: String?
    }

    struct Row {
        var time: String
        var kind: String
        var message: String
    }

    init(page: Chrome, overview: TaskOverview, canControl: Bool, githubWebURL: URL) {
        self.page = page
        let json = TaskJSON(overview, canControl: canControl)
        task = json
        let status = overview.task.status
        statusClass = TaskRow.style(status)
        statusLabel = TaskRow.label(status)
        failed = status == .failed || status == .timedOut
        let issue = overview.task.issue
        let kind = overview.task.kind == .followUp ? "pull" : "issues"
        issueURL =
            githubWebURL.appendingPathComponent("\(issue.repositoryFullName)/\(kind)/\(issue.number)")
            .absoluteString
        if overview.task.kind == .followUp {
            followUp = FollowUp(
                number: issue.number, pullURL: issueURL, original: overview.task.followUpOf?.uuidString.lowercased())
        }
        let end = overview.task.finishedAt ?? Date()
        duration = overview.startedAt.map { Self.duration(end.timeIntervalSince($0)) }
        created = DisplayTime.full(overview.task.createdAt)
        canStop = json.canControl && !status.isTerminal
        canRetry = json.canControl && status.isTerminal
        hasLog = !overview.logTail.isEmpty
        events = overview.events.map { Row(time: DisplayTime.full($0.createdAt), kind: $0.kind, message: $0.message) }
        attempts = json.attempts
        live = !status.isTerminal
        startedISO = overview.startedAt.map(DisplayTime.iso)
    }

    /// A duration short enough for a table cell or a stat card: 45s, 2m 47s, 1h 05m.
    static func duration(_ seconds: TimeInterval) -> String {
        let total = max(0, Int(seconds.rounded()))
        if total < 60 { return "\(total)s" }
        if total < 3600 { return "\(total / 60)m \(total % 60)s" }
        let minutes = total % 3600 / 60
        return "\(total / 3600)h \(minutes < 10 ? "0" : "")\(minutes)m"
    }
}
