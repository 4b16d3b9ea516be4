import Foundation
import HTTPTypes
import Hummingbird

extension GitHubEmulator {
    func addIssueRoutes(to router: Router<BasicRequestContext>) {
        let repo = router.group("/repos/:owner/:repo")
        repo.get("/issues/:number") { request, context in
            let (repository, _) = try self.authorizeCaller(request, context, ("issues", "read"))
            let number = try context.parameters.require("number", as: Int.self)
            return GitHubJSONResponse.make(try self.issueJSON(repository, number))
        }
        repo.get("/issues/:number/comments") { request, context in
            let (repository, _) = try self.authorize(request, context, ("issues", "read"))
            let number = try context.parameters.require("number", as: Int.self)
            let ids = self.state.withLock { state in
                state.comments.values.filter { $0.repositoryID == repository.id && $0.issueNumber == number }
                    .map(\.id).sorted()
            }
            return GitHubJSONResponse.page(
                try ids.map { try self.commentJSON($0) }, request: request, baseURL: self.baseURL)
        }
        // A user's token comments as them, through the App; any role that sees the repository may
        // comment, as on GitHub.
        repo.post("/issues/:number/comments") { request, context in
            let (repository, caller) = try self.authorizeCaller(request, context, ("issues", "write"))
            let number = try context.parameters.require("number", as: Int.self)
            guard let body = try await request.jsonObject(context: context)["body"] as? String else {
                throw GitHubAPIError.unprocessable("Invalid request.\n\n\"body\" wasn't supplied.")
            }
            let viaApp = if case .user = caller { true } else { false }
            let id = try self.createComment(
                repository, issue: number, author: self.login(of: caller), body: body, viaApp: viaApp)
            Task { await self.deliverIssueComment(id) }
            return GitHubJSONResponse.make(try self.commentJSON(id), status: .created)
        }
        repo.patch("/issues/comments/:id") { request, context in
            _ = try self.authorize(request, context, ("issues", "write"))
            let id = try context.parameters.require("id", as: Int.self)
            guard let body = try await request.jsonObject(context: context)["body"] as? String else {
                throw GitHubAPIError.unprocessable("Invalid request.\n\n\"body\" wasn't supplied.")
            }
            try self.state.withLock { state throws(GitHubAPIError) in
                guard state.comments[id] != nil else { throw .notFound }
                state.comments[id]!.body = body
                state.comments[id]!.updatedAt = Date()
            }
            return GitHubJSONResponse.make(try self.commentJSON(id))
        }
        repo.delete("/issues/comments/:id") { request, context in
            let (repository, _) = try self.authorize(request, context, ("issues", "write"))
            let id = try context.parameters.require("id", as: Int.self)
            try self.state.withLock { state throws(GitHubAPIError) in
                guard state.comments[id]?.repositoryID == repository.id else { throw .notFound }
                state.comments[id] = nil
            }
            return Response(status: .noContent)
        }
        repo.post("/issues/comments/:id/reactions") { request, context in
            _ = try self.authorize(request, context, ("issues", "write"))
            let id = try context.parameters.require("id", as: Int.self)
            let content = try await request.jsonObject(context: context)["content"] as? String ?? ""
            guard ["+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes"].contains(content) else {
                throw GitHubAPIError.unprocessable("Validation Failed")
            }
            return try self.react(commentID: id, content: content)
        }
        repo.post("/issues/:number/labels") { request, context in
            let (repository, _) = try self.authorize(request, context, ("issues", "write"))
            let number = try context.parameters.require("number", as: Int.self)
            let names = try await request.jsonObject(context: context)["labels"] as? [String] ?? []
            let labels = try self.state.withLock { state throws(GitHubAPIError) in
                guard var issue = state.issues[repository.id]?[number] else { throw .notFound }
                for name in names where !issue.labels.contains(name) { issue.labels.append(name) }
                state.issues[repository.id]![number] = issue
                return issue.labels
            }
            return GitHubJSONResponse.make(labels.map { self.labelJSON($0, repository) })
        }
        repo.delete("/issues/:number/labels/:name") { request, context in
            let (repository, _) = try self.authorize(request, context, ("issues", "write"))
            let number = try context.parameters.require("number", as: Int.self)
            let name = context.parameters.get("name")?.removingPercentEncoding ?? ""
            let labels = try self.state.withLock { state throws(GitHubAPIError) in
                guard var issue = state.issues[repository.id]?[number] else { throw .notFound }
                guard let index = issue.labels.firstIndex(of: name) else {
                    throw GitHubAPIError(status: .notFound, message: "Label does not exist")
                }
                issue.labels.remove(at: index)
                state.issues[repository.id]![number] = issue
                return issue.labels
            }
            return GitHubJSONResponse.make(labels.map { self.labelJSON($0, repository) })
        }
    }

    /// The login GitHub shows for what the App does.
    var botLogin: String { "\(app.slug)[bot]" }

    func authorize(
        _ request: Request, _ context: BasicRequestContext, _ permission: (String, String)
    ) throws -> (EmulatedRepository, Int) {
        let owner = try context.parameters.require("owner")
        let repo = try context.parameters.require("repo")
        let result = try authorize(request, owner: owner, repo: repo, permission: permission)
        return (result.repository, result.installationID)
    }

    func react(commentID: Int, content: String) throws -> Response {
        let login = botLogin
        let (id, created) = try state.withLock { state throws(GitHubAPIError) in
            guard var comment = state.comments[commentID] else { throw .notFound }
            // GitHub answers a repeated reaction by the same user with the existing one and 200.
            if let existing = comment.reactions.first(where: { $0.content == content && $0.user == login }) {
                return (existing.id, false)
            }
            let id = state.newID()
            comment.reactions.append((id, content, login))
            state.comments[commentID] = comment
            return (id, true)
        }
        let reaction: [String: Any] = [
            "id": id, "node_id": GitHubJSON.nodeID("08:Reaction", id), "user": json.user(user(login)),
            "content": content, "created_at": GitHubJSON.timestamp(Date()),
        ]
        return GitHubJSONResponse.make(reaction, status: created ? .created : .ok)
    }

    func labelJSON(_ name: String, _ repository: EmulatedRepository) -> [String: Any] {
        let id = state.withLock { state in
            if let id = state.labelIDs[name] { return id }
            let id = state.newID()
            state.labelIDs[name] = id
            return id
        }
        return json.label(name, id: id, repository: repository)
    }
}
