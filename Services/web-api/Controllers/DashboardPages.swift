import Foundation
import Hummingbird
import PorterKit

/// `/`: the signed-in person's live task feed, newest first, filtered by status with a count for each
/// filter, and the agents' figures. The page is whole without JavaScript; with it, `live.js` follows
/// `/api/tasks/stream` and asks `/dashboard/agents` for the figures again when a task's status changes.
struct DashboardPages {
    let pages: Pages
    let lists: PostgresTaskListStore
    let changes: TaskChangeStore
    let visibility: TaskVisibility
    let agentStats: PostgresAgentStatsStore
    static let pageSize = 25

    func add(to router: Router<WebContext>) {
        router.get("/") { request, context in
            guard let user = context.user else { return Response.redirect(to: "/auth", type: .found) }
            let query = request.uri.queryParameters
            let filterName = DashboardView.Filter.named(query.get("status"))
            let cursor = try TaskListAPI.cursor(query.get("cursor"))
            // Read before the list, so a change made while the page renders reaches it live.
            let since = try await changes.latest()
            let repositories = try await visibility.repositories(of: user)
            var filter = TaskFilter()
            filter.statuses = try TaskListAPI.statuses(filterName.rawValue)
            let window = query.get("window").flatMap(AgentStatsWindow.init(rawValue:)) ?? .month
            async let listed = lists.page(
                userID: user.id, repositories: repositories, filter: filter, after: cursor, limit: Self.pageSize)
            async let counted = lists.counts(userID: user.id, repositories: repositories, filter: filter)
            async let figures = agentStats.stats(
                userID: user.id, repositories: repositories, window: window, now: Date())
            let (page, counts, agents) = try await (listed, counted, figures)
            var view = DashboardView(
                page: Chrome(title: "Dashboard", user: user, section: .dashboard), filter: filterName,
                counts: counts, tasks: page.tasks, next: page.next, isFirstPage: cursor == nil, since: since,
                now: Date())
            view.agentsPanel = .init(agents, window: window, filter: filterName)
            return pages.render("dashboard", view)
        }
        // The agents' figures alone, for the open dashboard's script once a task changed.
        router.get("/dashboard/agents") { request, context in
            let user = try context.requireUser()
            let query = request.uri.queryParameters
            let window = query.get("window").flatMap(AgentStatsWindow.init(rawValue:)) ?? .month
            let repositories = try await visibility.repositories(of: user)
            let agents = try await agentStats.stats(
                userID: user.id, repositories: repositories, window: window, now: Date())
            return pages.render(
                "agents-panel",
                DashboardView.AgentsPanel(
                    agents, window: window, filter: DashboardView.Filter.named(query.get("status"))))
        }
    }
}
