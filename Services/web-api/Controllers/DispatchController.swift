import Foundation
import HTTPTypes
import Hummingbird
import Logging
import PorterKit

/// `/dispatch`: the form that starts a task on an issue as an `@porter` comment would, also loaded by
/// the command bar (⌘K / Ctrl+K). It works without JavaScript: the form posts, a refusal shows the
/// page again with the reason and what was typed, and "Show issues" and the templates post to
/// `/dispatch/refresh`, which changes nothing and shows the form again with their effect.
struct DispatchController {
    let pages: Pages
    let dispatch: TaskDispatch
    let recent: PostgresRecentCommandStore
    let account: AccountSettings
    let installURL: String?
    let logger: Logger

    func add(to router: Router<WebContext>) {
        router.get("/dispatch") { request, context in
            let user = try context.requireUser()
            let query = request.uri.queryParameters
            var draft = DispatchDraft()
            if let id = query.get("from").flatMap(UUID.init(uuidString:)),
                let command = try await recent.command(taskID: id, userID: user.id)
            {
                draft = DispatchDraft(command: command)
            }
            if let repository = query.get("repository") { draft.repository = repository }
            if let issue = query.get("issue") { draft.issue = issue }
            apply(DispatchTemplate.named(query.get("template")), to: &draft)
            return try await render(user, draft: draft, problem: nil, status: .ok)
        }
        router.post("/dispatch") { request, context in
            let user = try context.requireUser()
            let form = try await Form.read(request)
            do {
                let checked = try DispatchRequest.check(DispatchRequest.fields(form: form), agents: dispatch.agents)
                let outcome = try await dispatch.dispatch(user, checked)
                return Response.redirect(
                    to: "/tasks/\(outcome.receipt.taskID.uuidString.lowercased())?requested=dispatch", type: .normal)
            } catch let problem as WebError where problem != .unauthorized {
                return try await render(
                    user, draft: DispatchDraft(form: form), problem: problem.message, status: problem.status)
            }
        }
        router.post("/dispatch/refresh") { request, context in
            let user = try context.requireUser()
            let form = try await Form.read(request)
            var draft = DispatchDraft(form: form)
            apply(DispatchTemplate.named(form["template"]), to: &draft)
            return try await render(user, draft: draft, problem: nil, status: .ok)
        }
    }

    func apply(_ template: DispatchTemplate?, to draft: inout DispatchDraft) {
        guard let template else { return }
        draft.instructions = template.instructions
        draft.priority = template.priority
    }

    /// The page with `draft` in the form: the person's repositories, the chosen repository's open
    /// issues and a preview of the chosen one, read from GitHub with their token.
    func render(
        _ user: SignedInUser, draft: DispatchDraft, problem: String?, status: HTTPResponse.Status
    ) async throws -> Response {
        var repositories: [String] = []
        var repositoriesProblem: String?
        do {
            repositories = try await dispatch.gitHub.installations(user).flatMap { $0.1.map(\.fullName) }
        } catch let failure as WebError {
            repositoriesProblem = failure.message
        }
        let typed = draft.repository.trimmingCharacters(in: .whitespaces)
        let chosen =
            repositories.first { $0.lowercased() == typed.lowercased() }
            ?? (typed.isEmpty ? repositories.first ?? "" : typed)
        // A repository typed elsewhere (the API, an old command) stays as typed, to be refused with a reason.
        if !chosen.isEmpty, !repositories.contains(chosen) { repositories.append(chosen) }
        var issues: [DispatchPageView.Option] = []
        var issuesProblem: String?
        var preview: DispatchPageView.Preview?
        let number = Int(draft.issue).flatMap { $0 > 0 ? $0 : nil }
        if let (owner, repo) = IssueReference.ownerAndName(chosen), DispatchRequest.isRepositoryName(chosen) {
            do {
                issues = try await dispatch.openIssues(user, owner: owner, repo: repo).map { issue in
                    .init(
                        value: String(issue.number), label: "#\(issue.number) · \(issue.title)",
                        selected: issue.number == number)
                }
            } catch let failure as WebError {
                issuesProblem = failure == .notFound ? "Porter cannot read the issues of \(chosen)." : failure.message
            }
            if let number {
                if !issues.contains(where: { $0.selected }) {
                    issues.append(.init(value: String(number), label: "#\(number)", selected: true))
                }
                if let issue = try? await dispatch.issue(user, owner: owner, repo: repo, number: number) {
                    preview = .init(
                        number: issue.number, title: issue.title, text: issue.body?.nilIfEmpty, url: issue.htmlUrl,
                        author: issue.user.login)
                }
            }
        }
        let settings = try await account.settings.settings(userID: user.id)
        let keys = try await account.secrets.names(userID: user.id)
        let agents = DispatchPageView.agents(
            selected: draft.agent, defaultAgent: settings.defaultAgent, keys: keys, offered: dispatch.agents)
        let view = DispatchPageView(
            page: Chrome(title: "New task", user: user, section: .dispatch), problem: problem,
            requestID: draft.requestID, hasRepositories: !repositories.isEmpty,
            repositoriesProblem: repositoriesProblem,
            installURL: installURL,
            repositories: repositories.map { .init(value: $0, label: $0, selected: $0 == chosen) },
            issues: issues, issuesProblem: issuesProblem, newIssue: draft.issue == "new", newTitle: draft.title,
            newBody: draft.body, preview: preview, templates: DispatchTemplate.all, instructions: draft.instructions,
            agents: agents, agentHint: agents.first(where: \.selected)?.hint, model: draft.model,
            priorities: DispatchPageView.priorities(selected: draft.priority), draft: draft.pr != "ready",
            base: draft.base,
            recent: try await recent.recent(userID: user.id).map(DispatchPageView.recent))
        return pages.render("dispatch", view, status: status)
    }
}
