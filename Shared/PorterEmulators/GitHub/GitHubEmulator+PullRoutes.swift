import Foundation
import HTTPTypes
import Hummingbird

extension GitHubEmulator {
    func addPullRoutes(to router: Router<BasicRequestContext>) {
        let repo = router.group("/repos/:owner/:repo")
        repo.post("/pulls") { request, context in
            let (repository, _) = try self.authorize(request, context, ("pull_requests", "write"))
            let body = try await request.jsonObject(context: context)
            let pull = try await self.openPull(repository, body)
            return GitHubJSONResponse.make(await self.pullJSON(pull, repository), status: .created)
        }
        repo.get("/pulls") { request, context in
            let (repository, _) = try self.authorizeCaller(request, context, ("pull_requests", "read"))
            let wanted = request.uri.queryParameters.get("state") ?? "open"
            let head = request.uri.queryParameters.get("head")?.removingPercentEncoding
            let pulls = self.state.withLock { state in
                (state.pulls[repository.id] ?? [:]).values.sorted { $0.number > $1.number }
                    .filter { wanted == "all" || $0.state == wanted }
                    .filter { pull in
                        let owner = state.repositories[pull.headRepositoryID]?.owner ?? repository.owner
                        return head.map { $0.lowercased() == "\(owner):\(pull.head)".lowercased() } ?? true
                    }
            }
            var list: [[String: Any]] = []
            for pull in pulls { list.append(await self.pullJSON(pull, repository, detailed: false)) }
            return GitHubJSONResponse.make(list)
        }
        repo.get("/pulls/:number") { request, context in
            let (repository, pull, _) = try self.callerPull(request, context, ("pull_requests", "read"))
            return GitHubJSONResponse.make(await self.pullJSON(pull, repository))
        }
        repo.get("/pulls/:number/files") { request, context in
            let (repository, pull, _) = try self.callerPull(request, context, ("pull_requests", "read"))
            return GitHubJSONResponse.page(
                try await self.pullFilesJSON(pull, repository), request: request, baseURL: self.baseURL)
        }
        repo.put("/pulls/:number/merge") { request, context in
            let (repository, pull, caller) = try self.callerPull(request, context, ("contents", "write"))
            try self.requirePush(caller, repository)
            let body = try await request.jsonObject(context: context)
            let order = try Self.mergeOrder(body)
            let sender = self.login(of: caller)
            let sha = try await self.mergePull(repository, pull, order, by: sender)
            Task {
                await self.deliverPullRequestEvent(
                    "closed", repository: repository, number: pull.number, sender: sender)
            }
            return GitHubJSONResponse.make(["sha": sha, "merged": true, "message": "Pull Request successfully merged"])
        }
        repo.patch("/pulls/:number") { request, context in
            let (repository, pull, caller) = try self.callerPull(request, context, ("pull_requests", "write"))
            let body = try await request.jsonObject(context: context)
            try self.requireEdit(caller, repository, pull, changesOnlyState: body.keys.allSatisfy { $0 == "state" })
            let (updated, action) = self.editPull(
                repository, pull.number, title: body["title"] as? String, body: body["body"] as? String,
                state: body["state"] as? String)
            if let action {
                let sender = self.login(of: caller)
                Task {
                    await self.deliverPullRequestEvent(
                        action, repository: repository, number: pull.number, sender: sender)
                }
            }
            return GitHubJSONResponse.make(await self.pullJSON(updated, repository))
        }
    }

    /// A merge's body, checked as GitHub checks it: an unknown `merge_method` is 422.
    static func mergeOrder(_ body: [String: Any]) throws(GitHubAPIError) -> MergeOrder {
        var order = MergeOrder()
        if let raw = body["merge_method"], !(raw is NSNull) {
            guard let name = raw as? String, let method = EmulatedMergeMethod(rawValue: name) else {
                throw .unprocessable(
                    "Invalid request.\n\nFor 'properties/merge_method', \(Self.jsonText(raw)) is not a member of "
                        + "[\"merge\", \"squash\", \"rebase\"].")
            }
            order.method = method
        }
        order.sha = body["sha"] as? String
        order.title = body["commit_title"] as? String
        order.message = body["commit_message"] as? String
        return order
    }

    static func jsonText(_ value: Any) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: [value], options: [.fragmentsAllowed]) else {
            return "\(value)"
        }
        return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
    }

    /// A pull request route's repository, pull request and caller; installation and user tokens both.
    func callerPull(
        _ request: Request, _ context: BasicRequestContext, _ permission: (String, String)
    ) throws -> (EmulatedRepository, EmulatedPull, Caller) {
        let (repository, caller) = try authorizeCaller(request, context, permission)
        let number = try context.parameters.require("number", as: Int.self)
        guard let pull = state.withLock({ $0.pulls[repository.id]?[number] }) else { throw GitHubAPIError.notFound }
        return (repository, pull, caller)
    }

    func pull(
        _ request: Request, _ context: BasicRequestContext, _ permission: (String, String)
    ) throws -> (EmulatedRepository, EmulatedPull) {
        let (repository, _) = try authorize(request, context, permission)
        let number = try context.parameters.require("number", as: Int.self)
        guard let pull = state.withLock({ $0.pulls[repository.id]?[number] }) else { throw GitHubAPIError.notFound }
        return (repository, pull)
    }

    func openPull(_ repository: EmulatedRepository, _ body: [String: Any]) async throws -> EmulatedPull {
        guard let title = body["title"] as? String, let rawHead = body["head"] as? String,
            let base = body["base"] as? String
        else { throw GitHubAPIError.unprocessable("Validation Failed") }
        let head = rawHead.split(separator: ":").last.map(String.init) ?? rawHead
        for (field, branch) in [("head", head), ("base", base)]
        where await git.branchSHA(owner: repository.owner, name: repository.name, branch: branch) == nil {
            throw GitHubAPIError.unprocessable("Validation Failed: \(field) invalid")
        }
        return try insertPull(
            repository, headRepository: repository, title: title, body: body["body"] as? String, head: head,
            base: base, author: botLogin, draft: body["draft"] as? Bool ?? false)
    }

    /// Stores a new open pull request and the issue that shares its number; 422 when one is already open
    /// for the same head and base, as on GitHub.
    func insertPull(
        _ repository: EmulatedRepository, headRepository: EmulatedRepository, title: String, body: String?,
        head: String, base: String, author: String, draft: Bool
    ) throws(GitHubAPIError) -> EmulatedPull {
        try state.withLock { state throws(GitHubAPIError) in
            if (state.pulls[repository.id] ?? [:]).values.contains(where: {
                $0.headRepositoryID == headRepository.id && $0.head == head && $0.base == base && $0.state == "open"
            }) {
                throw .unprocessable(
                    "Validation Failed: A pull request already exists for \(headRepository.owner):\(head).")
            }
            let number = state.nextNumber(in: repository.id)
            let now = Date()
            var issue = EmulatedIssue(
                id: state.newID(), number: number, repositoryID: repository.id, title: title, body: body,
                author: author, createdAt: now, updatedAt: now)
            issue.isPull = true
            state.issues[repository.id, default: [:]][number] = issue
            let pull = EmulatedPull(
                id: state.newID(), number: number, repositoryID: repository.id, headRepositoryID: headRepository.id,
                title: title, body: body, head: head, base: base, author: author, draft: draft, createdAt: now,
                updatedAt: now)
            state.pulls[repository.id, default: [:]][number] = pull
            return pull
        }
    }
}
