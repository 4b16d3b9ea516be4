import Foundation
import HTTPTypes
import Hummingbird

/// Review comments and reviews over REST: listing and reading them with `pull_requests: read`, and
/// reacting to a review comment with `pull_requests: write`.
extension GitHubEmulator {
    func addReviewRoutes(to router: Router<BasicRequestContext>) {
        let repo = router.group("/repos/:owner/:repo")
        repo.get("/pulls/:number/comments") { request, context in
            let (repository, pull) = try self.pull(request, context, ("pull_requests", "read"))
            let comments = self.reviewComments(repository, pull.number) { _ in true }
            return GitHubJSONResponse.page(
                comments.map { self.reviewCommentJSON($0, repository) }, request: request, baseURL: self.baseURL)
        }
        repo.get("/pulls/comments/:id") { request, context in
            let (repository, _) = try self.authorize(request, context, ("pull_requests", "read"))
            let comment = try self.reviewComment(repository, try context.parameters.require("id", as: Int.self))
            return GitHubJSONResponse.make(self.reviewCommentJSON(comment, repository))
        }
        repo.post("/pulls/comments/:id/reactions") { request, context in
            let (repository, _) = try self.authorize(request, context, ("pull_requests", "write"))
            let id = try context.parameters.require("id", as: Int.self)
            let content = try await request.jsonObject(context: context)["content"] as? String ?? ""
            guard Self.reactionContents.contains(content) else {
                throw GitHubAPIError.unprocessable("Validation Failed")
            }
            _ = try self.reviewComment(repository, id)
            return try self.reactToReviewComment(id, content: content)
        }
        repo.get("/pulls/:number/reviews") { request, context in
            let (repository, pull, _) = try self.callerPull(request, context, ("pull_requests", "read"))
            let reviews = self.state.withLock { state in
                state.reviews.values.filter { $0.repositoryID == repository.id && $0.pullNumber == pull.number }
                    .sorted { $0.id < $1.id }
            }
            return GitHubJSONResponse.page(
                reviews.map { self.reviewJSON($0, repository, webhook: false) }, request: request,
                baseURL: self.baseURL)
        }
        repo.post("/pulls/:number/reviews") { request, context in
            let (repository, pull, caller) = try self.callerPull(request, context, ("pull_requests", "write"))
            let body = try await request.jsonObject(context: context)
            let id = try await self.createReview(repository, pull, by: self.login(of: caller), body)
            let review = try self.review(repository, pull, id)
            return GitHubJSONResponse.make(self.reviewJSON(review, repository, webhook: false))
        }
        repo.get("/pulls/:number/reviews/:id") { request, context in
            let (repository, pull) = try self.pull(request, context, ("pull_requests", "read"))
            let review = try self.review(repository, pull, try context.parameters.require("id", as: Int.self))
            return GitHubJSONResponse.make(self.reviewJSON(review, repository, webhook: false))
        }
        repo.get("/pulls/:number/reviews/:id/comments") { request, context in
            let (repository, pull) = try self.pull(request, context, ("pull_requests", "read"))
            let review = try self.review(repository, pull, try context.parameters.require("id", as: Int.self))
            let comments = self.reviewComments(repository, pull.number) { $0.reviewID == review.id }
            return GitHubJSONResponse.page(
                comments.map { self.reviewCommentJSON($0, repository) }, request: request, baseURL: self.baseURL)
        }
    }

    /// `POST /pulls/{n}/reviews` as GitHub validates it: an event (a review left pending is not
    /// emulated), a body for anything but an approval, and line comments on lines of the diff.
    func createReview(
        _ repository: EmulatedRepository, _ pull: EmulatedPull, by author: String, _ body: [String: Any]
    ) async throws -> Int {
        guard let event = body["event"] as? String, ["APPROVE", "REQUEST_CHANGES", "COMMENT"].contains(event) else {
            throw GitHubAPIError.unprocessable(
                "Unprocessable Entity: \"event\" must be APPROVE, REQUEST_CHANGES or COMMENT")
        }
        let text = body["body"] as? String
        if event != "APPROVE", text?.isEmpty ?? true {
            throw GitHubAPIError.unprocessable(
                "Unprocessable Entity: \"Body is required when using REQUEST_CHANGES or COMMENT events\"")
        }
        guard pull.state == "open" else {
            throw GitHubAPIError.unprocessable("Unprocessable Entity: \"Can not review a closed pull request\"")
        }
        var comments: [(path: String, line: Int, side: String, body: String)] = []
        for item in body["comments"] as? [[String: Any]] ?? [] {
            guard let path = item["path"] as? String, let line = item["line"] as? Int,
                let text = item["body"] as? String
            else { throw GitHubAPIError.unprocessable("Unprocessable Entity: a comment needs path, line and body") }
            comments.append((path, line, item["side"] as? String ?? "RIGHT", text))
        }
        return try await submitReview(
            owner: repository.owner, repo: repository.name, pull: pull.number, author: author, body: text,
            event: event, lineComments: comments)
    }

    static let reactionContents: Set = ["+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes"]

    func reviewComments(
        _ repository: EmulatedRepository, _ number: Int, where wanted: (EmulatedReviewComment) -> Bool
    ) -> [EmulatedReviewComment] {
        state.withLock { state in
            state.reviewComments.values.filter {
                $0.repositoryID == repository.id && $0.pullNumber == number && wanted($0)
            }.sorted { $0.id < $1.id }
        }
    }

    func reviewComment(_ repository: EmulatedRepository, _ id: Int) throws(GitHubAPIError) -> EmulatedReviewComment {
        guard let comment = state.withLock({ $0.reviewComments[id] }), comment.repositoryID == repository.id else {
            throw .notFound
        }
        return comment
    }

    func review(
        _ repository: EmulatedRepository, _ pull: EmulatedPull, _ id: Int
    ) throws(GitHubAPIError) -> EmulatedReview {
        guard let review = state.withLock({ $0.reviews[id] }), review.repositoryID == repository.id,
            review.pullNumber == pull.number
        else { throw .notFound }
        return review
    }

    /// The App reacts to a review comment; a repeated reaction answers the existing one with 200, as on GitHub.
    func reactToReviewComment(_ commentID: Int, content: String) throws -> Response {
        let login = botLogin
        let (id, created) = try state.withLock { state throws(GitHubAPIError) in
            guard var comment = state.reviewComments[commentID] else { throw .notFound }
            if let existing = comment.reactions.first(where: { $0.content == content && $0.user == login }) {
                return (existing.id, false)
            }
            let id = state.newID()
            comment.reactions.append((id, content, login))
            state.reviewComments[commentID] = comment
            return (id, true)
        }
        let reaction: [String: Any] = [
            "id": id, "node_id": GitHubJSON.nodeID("08:Reaction", id), "user": json.user(user(login)),
            "content": content, "created_at": GitHubJSON.timestamp(Date()),
        ]
        return GitHubJSONResponse.make(reaction, status: created ? .created : .ok)
    }
}
