import Foundation
import HTTPTypes
import Hummingbird

/// `GET` and `POST /repos/{owner}/{repo}/issues`: a repository's issues, listed as GitHub lists them
/// (pull requests included, marked by `pull_request`), and a new issue. Both take installation tokens
/// and user tokens; an issue opened with a user's token is theirs, made through the App.
extension GitHubEmulator {
    func addRepositoryIssueRoutes(to router: Router<BasicRequestContext>) {
        let repo = router.group("/repos/:owner/:repo")
        repo.get("/issues") { request, context in
            let (repository, _) = try self.authorizeCaller(request, context, ("issues", "read"))
            let query = request.uri.queryParameters
            let wanted = query.get("state") ?? "open"
            let sort = query.get("sort") ?? "created"
            let direction = query.get("direction") ?? "desc"
            guard ["open", "closed", "all"].contains(wanted), ["created", "updated", "comments"].contains(sort),
                ["asc", "desc"].contains(direction)
            else { throw GitHubAPIError.unprocessable("Validation Failed") }
            let issues = self.state.withLock { state in
                (state.issues[repository.id] ?? [:]).values.filter { wanted == "all" || $0.state == wanted }
                    .map { issue in
                        (
                            issue,
                            state.comments.values.count {
                                $0.repositoryID == repository.id && $0.issueNumber == issue.number
                            }
                        )
                    }
            }
            let ordered = issues.sorted { first, second in
                let (a, b) = direction == "asc" ? (first, second) : (second, first)
                switch sort {
                case "updated": return (a.0.updatedAt, a.0.number) < (b.0.updatedAt, b.0.number)
                case "comments": return (a.1, a.0.number) < (b.1, b.0.number)
                default: return a.0.number < b.0.number
                }
            }
            return GitHubJSONResponse.page(
                try ordered.map { try self.issueJSON(repository, $0.0.number) }, request: request,
                baseURL: self.baseURL)
        }
        repo.post("/issues") { request, context in
            let (repository, caller) = try self.authorizeCaller(request, context, ("issues", "write"))
            let body = try await request.jsonObject(context: context)
            guard let title = (body["title"] as? String) ?? (body["title"] as? Int).map(String.init) else {
                throw GitHubAPIError.unprocessable("Invalid request.\n\n\"title\" wasn't supplied.")
            }
            guard !title.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw GitHubAPIError.unprocessable("Validation Failed: title cannot be blank")
            }
            guard body["body"] == nil || body["body"] is String || body["body"] is NSNull else {
                throw GitHubAPIError.unprocessable("Invalid request.\n\nFor 'properties/body', it is not a string.")
            }
            let author: String
            switch caller {
            case .installation: author = self.botLogin
            case .user(let login): author = login
            }
            let number = self.openIssue(
                repository, title: title, body: body["body"] as? String, author: author,
                viaApp: { if case .user = caller { true } else { false } }())
            Task { await self.deliverIssueEvent("opened", repository: repository, number: number, sender: author) }
            var response = GitHubJSONResponse.make(try self.issueJSON(repository, number), status: .created)
            response.headers[.location] = "\(self.baseURL)/repos/\(repository.fullName)/issues/\(number)"
            return response
        }
    }

    /// Who a repository request comes from.
    enum Caller {
        case installation(Int)
        case user(String)
    }

    /// `authorize` for routes GitHub also serves to user tokens. A user token reaches a repository only
    /// where the App is installed and the user has a role there (404 otherwise, as GitHub hides what a
    /// caller cannot see), and can do at most what the App's permissions allow (403).
    func authorizeCaller(
        _ request: Request, _ context: BasicRequestContext, _ permission: (String, String)
    ) throws -> (EmulatedRepository, Caller) {
        guard let token = Self.bearer(request), state.withLock({ $0.userTokens[token] != nil }) else {
            let (repository, installationID) = try authorize(request, context, permission)
            return (repository, .installation(installationID))
        }
        guard let login = liveUserLogin(token) else { throw GitHubAPIError.badCredentials }
        let owner = try context.parameters.require("owner")
        let name = try context.parameters.require("repo")
        let found = state.withLock { state in
            state.repository(owner: owner, name: name).flatMap { repository in
                state.installations.values.contains { state.installationCovers($0, repository) } ? repository : nil
            }
        }
        guard let repository = found, role(of: login, in: repository) != "none" else { throw GitHubAPIError.notFound }
        guard Self.allows(app.permissions[permission.0], permission.1) else { throw GitHubAPIError.notAccessible }
        return (repository, .user(login))
    }

    /// Stores a new open issue and returns its number.
    func openIssue(
        _ repository: EmulatedRepository, title: String, body: String?, author: String, viaApp: Bool
    )
        -> Int
    {
        state.withLock { state in
            let number = state.nextNumber(in: repository.id)
            let now = Date()
            var issue = EmulatedIssue(
                id: state.newID(), number: number, repositoryID: repository.id, title: title, body: body,
                author: author, createdAt: now, updatedAt: now)
            issue.viaApp = viaApp
            state.issues[repository.id, default: [:]][number] = issue
            return number
        }
    }
}
