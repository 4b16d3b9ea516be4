import Foundation
import Hummingbird
import PorterKit

/// `GET /api/agents/stats?window=7d|30d|90d|all`: per agent and model, how the tasks a person may see
/// went over the window (30 days when none is named), most used first.
struct AgentStatsAPI {
    let store: PostgresAgentStatsStore
    let visibility: TaskVisibility

    struct Answer: Encodable {
        var window: String
        /// Where the window starts; absent for `all`.
        var from: Date?
        var to: Date
        var agents: [AgentStats]
    }

    func add(to router: Router<WebContext>) {
        router.get("/api/agents/stats") { request, context in
            let user = try context.requireUser()
            let window = try Self.window(request.uri.queryParameters.get("window"))
            let repositories = try await visibility.repositories(of: user)
            let now = Date()
            let agents = try await store.stats(
                userID: user.id, repositories: repositories, window: window, now: now)
            return JSONAnswer.make(
                Answer(window: window.rawValue, from: window.start(before: now), to: now, agents: agents))
        }
    }

    static func window(_ value: String?) throws(WebError) -> AgentStatsWindow {
        guard let value, !value.isEmpty else { return .month }
        guard let window = AgentStatsWindow(rawValue: value) else {
            let names = AgentStatsWindow.allCases.map(\.rawValue).joined(separator: ", ")
            throw .badRequest("window is one of \(names).", code: "invalid_window")
        }
        return window
    }
}
