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
            let (repository, pull) = try self.pull(request, context, ("pull_requests", "read"))
            let reviews = self.state.withLock { state in
                state.reviews.values.filter { $0.repositoryID == repository.id && $0.pullNumber == pull.number }
                    .sorted { $0.id < $1.id }
            }
            return GitHubJSONResponse.page(
                reviews.map { self.reviewJSON($0, repository, webhook: false) }, request: request,
                baseURL: self.baseURL)
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
