import Foundation
import Hummingbird
import PorterKit

/// `GET /api/tasks` (the feed, with counts per status) and `GET /api/tasks/history` (filtered history):
/// the tasks a person asked for and those on repositories they can reach, newest first, a page at a
/// time by cursor.
struct TaskListAPI {
    let store: PostgresTaskListStore
    let visibility: TaskVisibility

    struct Feed: Encodable {
        var tasks: [TaskSummary]
        var counts: [String: Int]
        var limit: Int
        var nextCursor: String?
    }

    struct History: Encodable {
        var tasks: [TaskSummary]
        var total: Int
        var limit: Int
        var nextCursor: String?
    }

    func add(to router: Router<WebContext>) {
        router.get("/api/tasks") { request, context in
            let user = try context.requireUser()
            let query = request.uri.queryParameters
            var filter = TaskFilter()
            filter.statuses = try Self.statuses(query.get("status"))
            let limit = try Self.limit(query.get("limit"), default: 25)
            let repositories = try await visibility.repositories(of: user)
            let page = try await store.page(
                userID: user.id, repositories: repositories, filter: filter,
                after: try Self.cursor(query.get("cursor")),
                limit: limit)
            let counts = try await store.counts(userID: user.id, repositories: repositories, filter: filter)
            return JSONAnswer.make(Feed(tasks: page.tasks, counts: counts, limit: limit, nextCursor: page.next?.token))
        }
        router.get("/api/tasks/history") { request, context in
            let user = try context.requireUser()
            let query = request.formQuery
            let filter = try Self.filter(query)
            let limit = try Self.limit(query.get("limit"), default: 50)
            let repositories = try await visibility.repositories(of: user)
            let page = try await store.page(
                userID: user.id, repositories: repositories, filter: filter,
                after: try Self.cursor(query.get("cursor")),
                limit: limit)
            let counts = try await store.counts(userID: user.id, repositories: repositories, filter: filter)
            let total =
                filter.statuses.isEmpty
                ? counts.values.reduce(0, +) : filter.statuses.reduce(0) { $0 + (counts[$1.rawValue] ?? 0) }
            return JSONAnswer.make(History(tasks: page.tasks, total: total, limit: limit, nextCursor: page.next?.token))
        }
    }

    /// Statuses by name, comma-separated; `running` also means dispatching, `failed` also timed out.
    static func statuses(_ value: String?) throws(WebError) -> [TaskStatus] {
        guard let value, !value.isEmpty, value != "all" else { return [] }
        var statuses: [TaskStatus] = []
        for name in value.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            switch name {
            case "running": statuses += [.dispatching, .running]
            case "failed": statuses += [.failed, .timedOut]
            default:
                guard let status = TaskStatus(rawValue: name) else {
                    throw .badRequest("\(name) is not a task status.", code: "invalid_status")
                }
                statuses.append(status)
            }
        }
        return statuses
    }

    static func limit(_ value: String?, default fallback: Int) throws(WebError) -> Int {
        guard let value else { return fallback }
        guard let limit = Int(value), (1...200).contains(limit) else {
            throw .badRequest("limit is a number from 1 to 200.", code: "invalid_limit")
        }
        return limit
    }

    static func cursor(_ value: String?) throws(WebError) -> TaskCursor? {
        guard let value, !value.isEmpty else { return nil }
        guard let cursor = TaskCursor(token: value) else {
            throw .badRequest("cursor is not one this API gave out.", code: "invalid_cursor")
        }
        return cursor
    }

    static func filter(_ query: Parameters) throws(WebError) -> TaskFilter {
        var filter = TaskFilter()
        filter.statuses = try statuses(query.get("status"))
        if let agent = query.get("agent"), !agent.isEmpty {
            guard let parsed = Agent(commandWord: agent) else {
                throw .badRequest("\(agent) is not an agent.", code: "invalid_agent")
            }
            filter.agent = parsed
        }
        filter.repository = query.get("repo").flatMap { $0.isEmpty ? nil : $0 }
        filter.branch = query.get("branch").flatMap { $0.isEmpty ? nil : $0 }
        if let number = query.get("issueNumber"), !number.isEmpty {
            guard let parsed = Int(number), parsed > 0, parsed <= Int(Int32.max) else {
                throw .badRequest("issueNumber is a positive number.", code: "invalid_issue_number")
            }
            filter.issueNumber = parsed
        }
        filter.search = query.get("search").map { String($0.prefix(200)) }
        filter.from = try date(query.get("from"), "from")
        filter.to = try date(query.get("to"), "to", throughTheDay: true)
        if let from = filter.from, let to = filter.to, from >= to {
            throw .badRequest("from must come before to.", code: "invalid_date")
        }
        return filter
    }

    /// `YYYY-MM-DD` (UTC midnight) or a full ISO 8601 time. `throughTheDay` makes a bare day an end that
    /// includes it, as a person picking "to 29 Nov" means: the next midnight.
    static func date(_ value: String?, _ name: String, throughTheDay: Bool = false) throws(WebError) -> Date? {
        guard let value, !value.isEmpty else { return nil }
        let full = ISO8601DateFormatter()
        if let date = full.date(from: value) { return date }
        let day = ISO8601DateFormatter()
        day.formatOptions = [.withFullDate]
        if let date = day.date(from: value), value.count == 10 {
            return throughTheDay ? date.addingTimeInterval(86_400) : date
        }
        throw .badRequest("\(name) is a date such as 2026-11-29.", code: "invalid_date")
    }
}
