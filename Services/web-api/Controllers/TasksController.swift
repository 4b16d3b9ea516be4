import Foundation
import Hummingbird
import Logging
import PorterKit

/// `/tasks/<id>` (the link Porter posts on issues) and its JSON, with Stop and Retry going through
/// the control plane as the comment verbs do. Someone who may not see the repository gets a 404.
struct TasksController {
    let pages: Pages
    let store: PostgresTaskOverviewStore
    let changes: TaskChangeStore
    let github: GitHubClient
    let queue: PostgresJobQueue
    let logger: Logger

    func add(to router: Router<WebContext>) {
        router.get("/tasks/:id") { request, context in
            let user = try context.requireUser()
            let since = try await position(context)
            let (overview, permission) = try await visible(context, user: user)
            var view = TaskPageView(
                page: Chrome(
                    title: "Task · \(overview.task.issue.repositoryFullName)#\(overview.task.issue.number)",
                    user: user, section: nil),
                overview: overview, canControl: permission.canWrite, githubWebURL: github.endpoints.webURL)
            view.requested = request.uri.queryParameters.get("requested") != nil
            view.since = since
            return pages.render("task", view)
        }
        router.get("/api/tasks/:id") { _, context in
            let user = try context.requireUser()
            let (overview, permission) = try await visible(context, user: user)
            return JSONAnswer.make(TaskJSON(overview, canControl: permission.canWrite))
        }
        for verb in [ControlVerb.stop, .retry] {
            router.put("/api/tasks/:id/\(verb.rawValue)") { _, context in
                try await control(verb, context)
                return JSONAnswer.make(["accepted": true], status: .accepted)
            }
            router.post("/tasks/:id/\(verb.rawValue)") { _, context in
                let id = try await control(verb, context)
                return Response.redirect(
                    to: "/tasks/\(id.uuidString.lowercased())?requested=\(verb.rawValue)", type: .normal)
            }
        }
    }

    /// Where the page's live stream starts, read before the page so nothing falls between the two.
    func position(_ context: WebContext) async throws -> String? {
        guard let text = context.parameters.get("id"), let id = UUID(uuidString: text),
            let seq = try await changes.task(id)?.seq
        else { return nil }
        return TaskStreams.TaskPosition(seq: seq, event: try await changes.latestEvent(of: id)).id
    }

    /// The task when the user may see its repository, with their permission there.
    func visible(_ context: WebContext, user: SignedInUser) async throws -> (TaskOverview, GitHubPermission) {
        guard let text = context.parameters.get("id"), let id = UUID(uuidString: text),
            let overview = try await store.overview(id: id)
        else { throw WebError.notFound }
        let permission = try await permission(of: user, on: overview.task)
        // The requester always sees their own task; anyone else needs at least read access.
        guard permission != .none || overview.task.requester.id == user.id else { throw WebError.notFound }
        return (overview, permission)
    }

    /// The user's role on the task's repository, as the comment verbs check it; a repository GitHub
    /// will not describe counts as none.
    func permission(of user: SignedInUser, on task: PorterTask) async throws -> GitHubPermission {
        try await permission(
            of: user, installationID: task.issue.installationID, repository: task.issue.repositoryFullName)
    }

    /// The user's role on `repository`, asked through the installation.
    func permission(of user: SignedInUser, installationID: Int64, repository: String) async throws -> GitHubPermission {
        guard let (owner, repo) = IssueReference.ownerAndName(repository) else { return .none }
        do {
            return try await github.collaboratorPermission(
                installationID: Int(installationID), owner: owner, repo: repo, user: user.login)
        } catch let error where Failure.isPermanent(error) {
            return .none
        } catch {
            logger.warning("permission check failed", metadata: ["error": "\(String(reflecting: error))"])
            throw WebError.upstream("GitHub could not say who may see this task; try again.")
        }
    }

    /// Queues `verb` for the task's issue as a comment would, after the same permission check; the
    /// dispatcher carries it out and answers on the issue.
    @discardableResult
    func control(_ verb: ControlVerb, _ context: WebContext) async throws -> UUID {
        let user = try context.requireUser()
        let (overview, permission) = try await visible(context, user: user)
        let task = overview.task
        guard permission.canWrite else {
            throw WebError(
                status: .forbidden, code: "forbidden",
                message: "Stop and Retry need write, maintain or admin permission on \(task.issue.repositoryFullName).")
        }
        guard overview.latestOnIssue else {
            throw WebError(
                status: .conflict, code: "not_latest",
                message: "A newer task exists on this issue; stop or retry that one.")
        }
        switch verb {
        case .stop where task.status.isTerminal:
            throw WebError(status: .conflict, code: "already_finished", message: "This task has already finished.")
        case .retry where !task.status.isTerminal:
            throw WebError(status: .conflict, code: "still_running", message: "This task has not finished yet.")
        default:
            break
        }
        let request = ControlRequest(
            verb: verb,
            context: IssueContext(
                issue: task.issue, requester: Requester(id: user.id, login: user.login), commentID: nil),
            deliveryID: "web:\(UUID().uuidString.lowercased())")
        try await queue.enqueue(try NewJob.control(request))
        logger.info(
            "control requested from the web", metadata: ["task_id": "\(task.id)", "verb": "\(verb.rawValue)"])
        return task.id
    }
}
