import Foundation
import HTTPTypes
import Hummingbird
import PorterKit

/// `POST /api/tasks` (start a task as a comment would, the original product's dispatch path) and the
/// reads the dispatch form uses: a repository's open issues, one issue's preview (text, for the page
/// to show as text), and the person's recent commands.
struct DispatchAPI {
    let dispatch: TaskDispatch
    let recent: PostgresRecentCommandStore
    let publicURL: URL

    /// Instructions and a new issue's text are each up to 65,536 characters.
    static let bodyLimit = 512 * 1024

    func add(to router: Router<WebContext>) {
        router.post("/api/tasks") { request, context in
            let user = try context.requireUser()
            let fields = try DispatchRequest.fields(json: try await JSONValue.object(request, limit: Self.bodyLimit))
            let outcome = try await dispatch.dispatch(user, try DispatchRequest.check(fields, agents: dispatch.agents))
            let answer = Answer(outcome, publicURL: publicURL, githubURL: dispatch.github.endpoints.webURL)
            var response = JSONAnswer.make(answer, status: .created)
            response.headers[.location] = answer.url
            return response
        }
        router.get("/api/github/issues/:owner/:repo") { _, context in
            let user = try context.requireUser()
            let (owner, repo) = try Self.repository(context)
            let issues = try await dispatch.openIssues(user, owner: owner, repo: repo)
            return JSONAnswer.make(["issues": issues.map(IssueItem.init)])
        }
        router.get("/api/github/issues/:owner/:repo/:number") { _, context in
            let user = try context.requireUser()
            let (owner, repo) = try Self.repository(context)
            guard let number = context.parameters.get("number").flatMap(Int.init), (1...Int(Int32.max)).contains(number)
            else { throw WebError.notFound }
            return JSONAnswer.make(
                IssuePreview(try await dispatch.issue(user, owner: owner, repo: repo, number: number)))
        }
        router.get("/api/dispatch/recent") { _, context in
            let user = try context.requireUser()
            return JSONAnswer.make(["commands": try await recent.recent(userID: user.id).map(RecentItem.init)])
        }
    }

    /// `owner` and `repo` from the path; a name GitHub could not have is a repository nobody can see.
    static func repository(_ context: WebContext) throws -> (String, String) {
        let owner = context.parameters.get("owner") ?? ""
        let repo = context.parameters.get("repo") ?? ""
        guard DispatchRequest.isRepositoryName("\(owner)/\(repo)") else { throw WebError.notFound }
        return (owner, repo)
    }

    /// `POST /api/tasks`'s answer: the task, where to watch it, and what it waits for.
    struct Answer: Encodable {
        struct Other: Encodable {
            var id: String
            var status: String
            var url: String
        }

        var id: String
        var url: String
        var status: String
        var repository: String
        var issueNumber: Int
        var issueURL: String
        var openedIssue: Bool
        var repeated: Bool
        var waitingFor: Other?
        var message: String

        init(_ outcome: TaskDispatch.Outcome, publicURL: URL, githubURL: URL) {
            let receipt = outcome.receipt
            id = receipt.taskID.uuidString.lowercased()
            url = TaskNotice.taskURL(receipt.taskID, publicURL: publicURL).absoluteString
            status = receipt.status.rawValue
            repository = outcome.repository
            issueNumber = outcome.issueNumber
            issueURL =
                githubURL.appendingPathComponent("\(outcome.repository)/issues/\(outcome.issueNumber)")
                .absoluteString
            openedIssue = outcome.openedIssue
            repeated = !receipt.created
            waitingFor = receipt.waitingFor.map {
                Other(
                    id: $0.id.uuidString.lowercased(), status: $0.status.rawValue,
                    url: TaskNotice.taskURL($0.id, publicURL: publicURL).absoluteString)
            }
            message = Self.message(outcome)
        }

        static func message(_ outcome: TaskDispatch.Outcome) -> String {
            let place = "\(outcome.repository)#\(outcome.issueNumber)"
            var text =
                outcome.receipt.created
                ? (outcome.openedIssue ? "Opened \(place) as you and queued a task on it" : "Queued a task on \(place)")
                    + "; Porter keeps its status comment on the issue."
                : "This request was sent before: this is the task it made on \(place)."
            if let other = outcome.receipt.waitingFor {
                text += """
                     Task \(other.id.uuidString.lowercased()) is \(other.status.rawValue) on that issue, so this \
                    one waits for it to finish, as a second comment's task would, and its status comment says so.
                    """
            }
            return text
        }
    }

    struct IssueItem: Encodable {
        var number: Int
        var title: String
        var author: String
        var url: String

        init(_ issue: GitHubIssue) {
            number = issue.number
            title = issue.title
            author = issue.user.login
            url = issue.htmlUrl
        }
    }

    /// An issue for the form's preview: its text as written, for the page to show as text.
    struct IssuePreview: Encodable {
        var number: Int
        var title: String
        var body: String
        var state: String
        var author: String
        var url: String
        var isPullRequest: Bool

        init(_ issue: GitHubIssue) {
            number = issue.number
            title = issue.title
            body = issue.body ?? ""
            state = issue.state
            author = issue.user.login
            url = issue.htmlUrl
            isPullRequest = issue.pullRequest != nil
        }
    }

    struct RecentItem: Encodable {
        var taskId: String
        var repository: String
        var issueNumber: Int
        var issueTitle: String?
        var agent: String
        var model: String?
        var priority: String
        var draft: Bool
        var baseBranch: String?
        var instructions: String
        var createdAt: Date
        var formURL: String

        init(_ command: RecentCommand) {
            taskId = command.taskID.uuidString.lowercased()
            repository = command.repository
            issueNumber = command.issueNumber
            issueTitle = command.issueTitle
            agent = command.request.agent.rawValue
            model = command.request.model
            priority = command.request.priority.rawValue
            draft = command.request.draft
            baseBranch = command.request.baseBranch
            instructions = command.request.instructions
            createdAt = command.createdAt
            formURL = "/dispatch?from=\(taskId)"
        }
    }
}
