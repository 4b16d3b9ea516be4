import Foundation
import PorterKit

/// The dashboard's view model: the status filters with their counts and the feed's rows.
struct DashboardView {
    enum Filter: String, CaseIterable {
        case all, running, queued, succeeded, failed

        static func named(_ name: String?) -> Filter { name.flatMap(Filter.init(rawValue:)) ?? .all }

        var label: String { rawValue.prefix(1).uppercased() + rawValue.dropFirst() }

        /// The task statuses the filter shows.
        var statuses: [TaskStatus] {
            switch self {
            case .all: TaskStatus.allCases
            case .running: [.dispatching, .running]
            case .queued: [.queued]
            case .succeeded: [.succeeded]
            case .failed: [.failed, .timedOut]
            }
        }
    }

    struct Tab {
        var name: String
        var label: String
        var href: String
        var count: Int
        var current: Bool
    }

    var page: Chrome
    var tabs: [Tab]
    var rows: [TaskRow]
    var filterLabel: String
    /// Statuses a live row needs to join this list, comma-separated.
    var liveStatuses: String
    var isFirstPage: Bool
    var emptyEverywhere: Bool
    var emptyHere: Bool
    var olderHref: String?
    var newestHref: String?
    var since: String
    var agentsPanel: AgentsPanel?

    /// The per-agent figures over a window, with links to the other windows that keep the status filter;
    /// in the page, and alone at `src` for `live.js`, which asks again when a task changes.
    struct AgentsPanel {
        var agents: [AgentLine]
        var hasAgents: Bool
        var windows: [Tab]
        var empty: String
        var src: String

        init(_ stats: [AgentStats], window: AgentStatsWindow, filter: Filter) {
            agents = stats.map { line in
                AgentLine(
                    agent: line.agent, model: line.model, runs: line.runs,
                    successRate: line.successRate.map { "\(Int(($0 * 100).rounded())) %" } ?? "–",
                    finished: line.finished, median: line.medianDurationSeconds.map(TaskPageView.duration) ?? "–",
                    p90: line.p90DurationSeconds.map(TaskPageView.duration) ?? "–", opened: line.pullRequestsOpened,
                    merged: line.pullRequestsMerged, rejected: line.pullRequestsRejected)
            }
            hasAgents = !agents.isEmpty
            let status = filter == .all ? "" : "status=\(filter.rawValue)&"
            windows = AgentStatsWindow.allCases.map { option in
                Tab(
                    name: option.rawValue, label: DashboardView.label(option),
                    href: "/?\(status)window=\(option.rawValue)#agents", count: 0, current: option == window)
            }
            empty = window == .all ? "No tasks yet." : "No tasks in the last \(DashboardView.label(window))."
            src = "/dashboard/agents?\(status)window=\(window.rawValue)"
        }
    }

    struct AgentLine {
        var agent: String
        var model: String?
        var runs: Int
        var successRate: String
        var finished: Int
        var median: String
        var p90: String
        var opened: Int
        var merged: Int
        var rejected: Int
    }

    static func label(_ window: AgentStatsWindow) -> String {
        switch window {
        case .week: "7 days"
        case .month: "30 days"
        case .quarter: "90 days"
        case .all: "All time"
        }
    }

    init(
        page: Chrome, filter: Filter, counts: [String: Int], tasks: [TaskSummary], next: TaskCursor?,
        isFirstPage: Bool, since: Int64, now: Date
    ) {
        self.page = page
        let total = counts.values.reduce(0, +)
        tabs = Filter.allCases.map { tab in
            Tab(
                name: tab.rawValue, label: tab.label, href: tab == .all ? "/" : "/?status=\(tab.rawValue)",
                count: tab.statuses.reduce(0) { $0 + (counts[$1.rawValue] ?? 0) }, current: tab == filter)
        }
        rows = tasks.map { TaskRow($0, now: now) }
        filterLabel = filter.label.lowercased()
        liveStatuses = filter.statuses.map(\.rawValue).joined(separator: ",")
        self.isFirstPage = isFirstPage
        emptyEverywhere = total == 0
        emptyHere = total > 0 && tasks.isEmpty
        let base = filter == .all ? "/?" : "/?status=\(filter.rawValue)&"
        olderHref = next.map { base + "cursor=\($0.token)" }
        newestHref = isFirstPage ? nil : (filter == .all ? "/" : "/?status=\(filter.rawValue)")
        self.since = "\(since)"
    }
}

/// One task in a list, as the dashboard prints it and `live.js` redraws it.
struct TaskRow {
    var id: String
    var href: String
    var status: String
    var statusLabel: String
    var statusClass: String
    var repository: String
    var issueNumber: Int
    var title: String
    var agent: String
    var model: String?
    var requester: String
    var phase: String?
    var pullRequestURL: String?
    var timing: String
    var created: String
    var createdISO: String
    var startedISO: String?
    var finishedISO: String?

    init(_ task: TaskSummary, now: Date) {
        id = task.id
        href = "/tasks/\(task.id)"
        status = task.status
        let status = TaskStatus(rawValue: task.status)
        statusLabel = status.map(Self.label) ?? task.status
        statusClass = status.map(Self.style) ?? ""
        repository = task.repository
        issueNumber = task.issueNumber
        title = task.issueTitle ?? "Issue #\(task.issueNumber)"
        agent = task.agent
        model = task.model
        requester = task.requester
        phase = status?.isTerminal == true ? nil : task.phase
        pullRequestURL = task.pullRequestURL
        timing = Self.timing(task, now: now)
        created = DisplayTime.recent(task.createdAt)
        createdISO = DisplayTime.iso(task.createdAt)
        startedISO = task.startedAt.map(DisplayTime.iso)
        finishedISO = task.finishedAt.map(DisplayTime.iso)
    }

    static func label(_ status: TaskStatus) -> String {
        switch status {
        case .queued: "Queued"
        case .dispatching: "Starting"
        case .running: "Running"
        case .succeeded: "Succeeded"
        case .failed: "Failed"
        case .timedOut: "Timed out"
        case .cancelled: "Stopped"
        }
    }

    static func style(_ status: TaskStatus) -> String {
        switch status {
        case .succeeded: "ok"
        case .failed, .timedOut: "bad"
        case .cancelled: ""
        case .queued: "warn"
        case .dispatching, .running: "live"
        }
    }

    /// How long it took, how long it has run, or how long it has waited.
    static func timing(_ task: TaskSummary, now: Date) -> String {
        if let finished = task.finishedAt {
            return "took " + TaskPageView.duration(finished.timeIntervalSince(task.startedAt ?? task.createdAt))
        }
        if let started = task.startedAt { return "running " + TaskPageView.duration(now.timeIntervalSince(started)) }
        return "waiting " + TaskPageView.duration(now.timeIntervalSince(task.createdAt))
    }
}
