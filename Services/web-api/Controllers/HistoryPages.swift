import Foundation
import Hummingbird
import PorterKit

/// `/history`: every task a person may see, filtered by a GET form whose state is the URL (the same
/// parameters as `GET /api/tasks/history`), with stat cards for the filtered set, a page at a time by
/// cursor. A filter that cannot be read shows the form again with the reason, never a bare error.
struct HistoryPages {
    let pages: Pages
    let store: PostgresTaskListStore
    let visibility: TaskVisibility
    /// The agents the filter offers: those a command may name here.
    let agents: [Agent]

    static let pageSize = 50
    static let suggestionCount = 20

    func add(to router: Router<WebContext>) {
        router.get("/history") { request, context in
            let user = try context.requireUser()
            let query = request.formQuery
            var view = HistoryPageView(
                page: Chrome(title: "History", user: user, section: .history), form: .init(query), agents: agents)
            let filter: TaskFilter
            let cursor: TaskCursor?
            let limit: Int
            do throws(WebError) {
                filter = try TaskListAPI.filter(query)
                cursor = try TaskListAPI.cursor(query.get("cursor"))
                limit = try TaskListAPI.limit(query.get("limit"), default: Self.pageSize)
            } catch {
                view.refuse(error)
                return pages.render("history", view, status: error.status)
            }
            let repositories = try await visibility.repositories(of: user)
            async let page = store.page(
                userID: user.id, repositories: repositories, filter: filter, after: cursor, limit: limit)
            async let offered = self.suggestions(user: user, repositories: repositories, filter: filter)
            let stats = try await self.stats(
                user: user, repositories: repositories, filter: filter, now: query.get("figures") == "now")
            let (tasks, next) = try await page
            view.show(tasks: tasks, next: next, stats: stats, suggestions: try await offered)
            return pages.render("history", view)
        }
        // The stat cards alone, for the page's script when they were not ready with the page.
        router.get("/history/figures") { request, context in
            let user = try context.requireUser()
            let filter = try TaskListAPI.filter(request.formQuery)
            let repositories = try await visibility.repositories(of: user)
            let stats = try await store.stats(userID: user.id, repositories: repositories, filter: filter)
            return pages.render("stat-cards", HistoryPageView.StatCards(stats))
        }
    }

    /// The stat cards if they are ready, or when asked for `now` (a browser without scripts) or when
    /// nothing is kept anyway; otherwise nil. Sorting the durations of a large history takes longer
    /// than the rest of the page, so the page does not wait for them: its script asks for them once it
    /// is shown. Nothing is started here for that request, so a flood of new filters costs one count
    /// per page actually shown, never a pile of counts nobody waits for.
    func stats(user: SignedInUser, repositories: [Int64], filter: TaskFilter, now: Bool) async throws -> TaskStats? {
        if now || !store.keepsFigures {
            return try await store.stats(userID: user.id, repositories: repositories, filter: filter)
        }
        return try await store.keptStats(userID: user.id, repositories: repositories, filter: filter)
    }

    /// What the form's type-ahead offers before anything is typed: each field's values among the tasks
    /// the other filters match. Offers not ready with the page are left to its script (nil), as the stat
    /// cards are: for a filter nobody used lately they cost more than the list.
    func suggestions(
        user: SignedInUser, repositories: [Int64], filter: TaskFilter
    ) async throws
        -> HistoryPageView.Suggestions
    {
        func values(_ facet: TaskFacet) async throws -> [TaskSuggestion]? {
            let filter = filter.without(facet)
            guard store.keepsFigures else {
                return try await store.suggestions(
                    facet, containing: "", userID: user.id, repositories: repositories, filter: filter,
                    limit: Self.suggestionCount)
            }
            return try await store.keptOffers(
                facet, userID: user.id, repositories: repositories, filter: filter, limit: Self.suggestionCount)
        }
        async let repo = values(.repo)
        async let branch = values(.branch)
        async let issue = values(.issue)
        let (repos, branches, issues) = (try await repo, try await branch, try await issue)
        return .init(
            repo: repos ?? [], branch: branches ?? [], issue: issues ?? [], laterRepo: repos == nil,
            laterBranch: branches == nil, laterIssue: issues == nil)
    }
}

extension TaskFilter {
    /// This filter with `facet`'s own field cleared: suggestions for a field never narrow themselves.
    func without(_ facet: TaskFacet) -> TaskFilter {
        var filter = self
        switch facet {
        case .repo: filter.repository = nil
        case .branch: filter.branch = nil
        case .issue: filter.issueNumber = nil
        }
        return filter
    }
}
