import Foundation
import Hummingbird
import PorterKit

/// The history page's view model: the filter form as the URL holds it, the stat cards, a page of tasks
/// and the links to the next page and to the CSV of the whole set.
struct HistoryPageView {
    var page: Chrome
    var form: Fields
    var agents: [Option]
    var statuses: [Option]
    var invalid: Invalid
    /// Why the filters could not be applied; nothing else is shown then.
    var problem: String?
    var suggestions: Suggestions
    var stats: StatCards?
    var results: Results?
    var csvURL: String?
    var clearURL: String?

    /// The filter fields as typed, echoed back into the form.
    struct Fields {
        var search = ""
        var repo = ""
        var branch = ""
        var issueNumber = ""
        var from = ""
        var to = ""
        var agent = ""
        var status = ""
        var limit = ""
        var cursor = ""

        init(_ query: Parameters) {
            func value(_ name: String) -> String { query.get(name) ?? "" }
            (search, repo, branch, issueNumber) = (
                value("search"), value("repo"), value("branch"), value("issueNumber")
            )
            (from, to, agent, status) = (value("from"), value("to"), value("agent"), value("status"))
            (limit, cursor) = (value("limit"), value("cursor"))
        }

        /// The filters, without the page's position.
        var filters: [(String, String)] {
            [
                ("search", search), ("repo", repo), ("branch", branch), ("issueNumber", issueNumber),
                ("agent", agent), ("status", status), ("from", from), ("to", to),
            ].filter { !$0.1.isEmpty }
        }

        /// `name=value&…` of `fields`, every value percent-encoded.
        static func query(_ fields: [(String, String)]) -> String {
            fields.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }
                .joined(separator: "&")
        }

        /// RFC 3986's unreserved characters: everything else in a value is percent-encoded.
        static let allowed = CharacterSet(
            charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
    }

    struct Option {
        var value: String
        var label: String
        var selected: Bool
    }

    /// Which fields hold a value that could not be read, for `aria-invalid`.
    struct Invalid {
        var issueNumber = false
        var agent = false
        var status = false
        var from = false
        var to = false
    }

    struct Suggestions {
        var repo: [TaskSuggestion] = []
        var branch: [TaskSuggestion] = []
        var issue: [TaskSuggestion] = []
        /// A field whose offers were not ready with the page: its list is filled by the page's script.
        var laterRepo = false
        var laterBranch = false
        var laterIssue = false
    }

    struct StatCards {
        var tasks: String
        var successRate: String
        var successDetail: String
        var median: String
        var p90: String
        var durationDetail: String
        var pullRequests: String
        /// Set while the figures are still being counted: the page asks for them after it is shown.
        var pending: Pending?
    }

    struct Pending {
        /// The cards alone, for the page's script.
        var src: String
        /// The whole page with the figures counted first, for a browser without scripts.
        var inline: String
    }

    struct Results {
        var rows: [Row]
        var olderURL: String?
        var newestURL: String?
        var pager: Bool
        /// Why there is nothing to show, when there is nothing.
        var empty: Empty?
    }

    struct Empty {
        var title: String
        var detail: String
        var clear: Bool
    }

    struct Row {
        var id: String
        var status: String
        var statusClass: String
        var repository: String
        var issueNumber: Int
        var title: String
        var agent: String
        var model: String?
        var requester: String
        var createdDay: String
        var createdClock: String
        var createdISO: String
        var duration: String?
        var pullRequestURL: String?
        var pullRequestLabel: String?
    }

    init(page: Chrome, form: Fields, agents offered: [Agent]) {
        self.page = page
        self.form = form
        agents =
            [Option(value: "", label: "Any agent", selected: form.agent.isEmpty)]
            + offered.map {
                Option(value: $0.rawValue, label: $0.rawValue, selected: Agent(commandWord: form.agent) == $0)
            }
        let known: [(String, String)] = [
            ("", "Any status"), ("queued", "Queued"), ("running", "Running"), ("succeeded", "Succeeded"),
            ("failed", "Failed or timed out"), ("cancelled", "Cancelled"),
        ]
        statuses = known.map { Option(value: $0.0, label: $0.1, selected: form.status == $0.0) }
        if !known.contains(where: { $0.0 == form.status }) {
            // A status the URL names that the menu does not offer (from a link, or the API's list form).
            statuses.append(Option(value: form.status, label: form.status, selected: true))
        }
        invalid = Invalid()
        suggestions = Suggestions()
        let filters = form.filters
        csvURL = "/api/tasks/history.csv" + (filters.isEmpty ? "" : "?" + Fields.query(filters))
        clearURL = filters.isEmpty ? nil : "/history"
    }

    /// The page refusing the filters: the form as typed, the fields at fault marked, and the reason in
    /// the form's words.
    mutating func refuse(_ problem: WebError) {
        func unreadable(_ value: String, _ read: (String) throws -> Any?) -> Bool {
            guard !value.isEmpty else { return false }
            do {
                _ = try read(value)
                return false
            } catch {
                return true
            }
        }
        let reversed = problem.message.hasPrefix("from must")
        invalid = Invalid(
            issueNumber: !form.issueNumber.isEmpty
                && (Int(form.issueNumber).map { $0 < 1 || $0 > Int(Int32.max) } ?? true),
            agent: !form.agent.isEmpty && Agent(commandWord: form.agent) == nil,
            status: unreadable(form.status) { try TaskListAPI.statuses($0) },
            from: reversed || unreadable(form.from) { try TaskListAPI.date($0, "from") },
            to: reversed || unreadable(form.to) { try TaskListAPI.date($0, "to") })
        self.problem =
            if invalid.issueNumber {
                "Issue is a number, such as 42."
            } else if reversed {
                "From must come before To."
            } else if invalid.from || invalid.to {
                "\(invalid.from ? "From" : "To") is a date such as 2026-11-29."
            } else {
                problem.message
            }
        csvURL = nil
    }

    /// `stats` nil: the figures are not counted yet, and the cards say so until the page's script
    /// brings them.
    mutating func show(
        tasks: [TaskSummary], next: TaskCursor?, stats: TaskStats?, suggestions: Suggestions
    ) {
        self.suggestions = suggestions
        let filters = form.filters
        let kept = filters + (form.limit.isEmpty ? [] : [("limit", form.limit)])
        if let stats {
            self.stats = StatCards(stats)
        } else {
            let position = kept + (form.cursor.isEmpty ? [] : [("cursor", form.cursor)])
            self.stats = StatCards(
                pending: Pending(
                    src: "/history/figures" + (filters.isEmpty ? "" : "?" + Fields.query(filters)),
                    inline: "/history?" + Fields.query(position + [("figures", "now")])))
        }
        let paged = !form.cursor.isEmpty
        var empty: Empty?
        if tasks.isEmpty {
            empty =
                if paged {
                    Empty(
                        title: "No older tasks.", detail: "This is the end of the history these filters match.",
                        clear: false)
                } else if !filters.isEmpty {
                    Empty(
                        title: "No task matches these filters.",
                        detail: "Loosen or clear them to see more of your history.", clear: true)
                } else {
                    Empty(
                        title: "No tasks yet.",
                        detail:
                            "Comment @porter and an agent's name on an issue where Porter's GitHub App is installed; the task shows up here.",
                        clear: false)
                }
        }
        let olderURL = next.map { "/history?" + Fields.query(kept + [("cursor", $0.token)]) }
        results = Results(
            rows: tasks.map { Row($0) }, olderURL: olderURL,
            newestURL: paged ? "/history" + (kept.isEmpty ? "" : "?" + Fields.query(kept)) : nil,
            pager: olderURL != nil || paged, empty: empty)
    }
}

extension HistoryPageView.StatCards {
    init(_ stats: TaskStats) {
        tasks = Self.count(stats.tasks)
        successRate = stats.successRate.map { "\(Int(($0 * 100).rounded()))%" } ?? "–"
        successDetail =
            stats.finished == 0
            ? "nothing finished yet" : "\(Self.count(stats.succeeded)) of \(Self.count(stats.finished)) finished"
        median = stats.medianDurationSeconds.map { TaskPageView.duration($0) } ?? "–"
        p90 = stats.p90DurationSeconds.map { TaskPageView.duration($0) } ?? "–"
        durationDetail = stats.finished == 0 ? "of finished tasks" : "of \(Self.count(stats.finished)) finished"
        pullRequests = Self.count(stats.pullRequestsOpened)
    }

    /// Cards that say their figures are on their way.
    init(pending: HistoryPageView.Pending) {
        (tasks, successRate, median, p90, pullRequests) = ("…", "…", "…", "…", "…")
        (successDetail, durationDetail) = ("counting…", "counting…")
        self.pending = pending
    }

    /// 12,345: grouped in threes, whatever the server's locale.
    static func count(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var grouped = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { grouped.append(",") }
            grouped.append(digit)
        }
        return (value < 0 ? "-" : "") + grouped
    }
}

extension HistoryPageView.Row {
    init(_ task: TaskSummary) {
        id = task.id
        let known = TaskStatus(rawValue: task.status)
        status = known.map(TaskRow.label) ?? task.status
        statusClass = known.map(TaskRow.style) ?? ""
        repository = task.repository
        issueNumber = task.issueNumber
        title = task.issueTitle ?? "Task on #\(task.issueNumber)"
        agent = task.agent
        model = task.model
        requester = task.requester
        createdDay = DisplayTime.day(task.createdAt)
        createdClock = DisplayTime.clock(task.createdAt)
        createdISO = DisplayTime.iso(task.createdAt)
        duration = task.finishedAt.map {
            TaskPageView.duration($0.timeIntervalSince(task.startedAt ?? task.createdAt))
        }
        pullRequestURL = task.pullRequestURL
        pullRequestLabel = task.pullRequestURL.map { url in
            url.split(separator: "/").last.flatMap { Int($0) }.map { "PR #\($0)" } ?? "Pull request"
        }
    }
}
