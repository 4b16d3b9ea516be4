import Foundation
import NIOHTTP1

extension GitHubClient {
    struct BodyText: Encodable { var body: String }

    /// Reacts to an issue comment. GitHub answers an existing identical reaction with 200, so retrying is safe.
    @discardableResult
    public func addReaction(
        installationID: Int, owner: String, repo: String, commentID: Int, content: GitHubReactionContent
    ) async throws -> GitHubReaction {
        try await react(
            installationID: installationID,
            path: Self.path("repos", owner, repo, "issues", "comments", String(commentID)),
            operation: "create_reaction", content: content)
    }

    /// Reacts to a line comment of a pull request's diff; as safe to retry as `addReaction`.
    @discardableResult
    public func addReviewCommentReaction(
        installationID: Int, owner: String, repo: String, commentID: Int, content: GitHubReactionContent
    ) async throws -> GitHubReaction {
        try await react(
            installationID: installationID,
            path: Self.path("repos", owner, repo, "pulls", "comments", String(commentID)),
            operation: "create_review_comment_reaction", content: content)
    }

    private func react(
        installationID: Int, path comment: String, operation: String, content: GitHubReactionContent
    ) async throws -> GitHubReaction {
        struct Body: Encodable { var content: GitHubReactionContent }
        let request = try APIRequest.json(
            .POST, comment + "/reactions", operation: operation, body: Body(content: content), idempotent: true)
        return try await send(request, as: .installation(installationID))
            .decode(GitHubReaction.self, api: "github", operation: request.operation)
    }

    /// Posts a new comment; never retried blindly, since a second try would post it twice. A 2xx answer
    /// it cannot read means the comment is posted: that fails with the transient
    /// `GitHubError.createdButUnread`, so a caller tries again by looking for it (Porter's comments
    /// carry a marker for that), not by posting again.
    public func createIssueComment(
        installationID: Int, owner: String, repo: String, issue: Int, body: String
    ) async throws -> GitHubIssueComment {
        do {
            return try await createIssueComment(
                as: .installation(installationID), owner: owner, repo: repo, issue: issue, body: body)
        } catch let error as APIError where error.isDecoding || error.isResponseTooLarge {
            logger.warning(
                "GitHub posted a comment but its answer could not be read", metadata: ["error": "\(error)"])
            throw GitHubError.createdButUnread(operation: "create_issue_comment")
        }
    }

    /// An issue's comments, oldest first (the first 100).
    public func issueComments(
        installationID: Int, owner: String, repo: String, issue: Int
    ) async throws -> [GitHubIssueComment] {
        var comments: [GitHubIssueComment] = []
        // Page by page while GitHub's Link header names a next one, up to 10,000 comments.
        for page in 1...100 {
            let request = APIRequest(
                .GET,
                Self.path("repos", owner, repo, "issues", String(issue), "comments") + "?per_page=100&page=\(page)",
                operation: "list_issue_comments")
            let response = try await send(request, as: .installation(installationID))
            comments += try response.decode([GitHubIssueComment].self, api: "github", operation: request.operation)
            guard Self.hasNextPage(response.headers) else { break }
        }
        return comments
    }

    /// Whether a list answer's `Link` header names a next page.
    static func hasNextPage(_ headers: HTTPHeaders) -> Bool {
        headers[canonicalForm: "link"].contains { $0.contains(#"rel="next""#) }
    }

    /// Replaces a comment's body; the same edit twice is harmless, so it is retried.
    public func updateIssueComment(
        installationID: Int, owner: String, repo: String, commentID: Int, body: String
    ) async throws -> GitHubIssueComment {
        let request = try APIRequest.json(
            .PATCH, Self.path("repos", owner, repo, "issues", "comments", String(commentID)),
            operation: "update_issue_comment", body: BodyText(body: body), idempotent: true)
        return try await send(request, as: .installation(installationID))
            .decode(GitHubIssueComment.self, api: "github", operation: request.operation)
    }

    /// Adds labels (existing ones stay); returns the issue's labels afterwards.
    @discardableResult
    public func addLabels(
        installationID: Int, owner: String, repo: String, issue: Int, labels: [String]
    ) async throws -> [GitHubLabel] {
        struct Body: Encodable { var labels: [String] }
        let request = try APIRequest.json(
            .POST, Self.path("repos", owner, repo, "issues", String(issue), "labels"), operation: "add_labels",
            body: Body(labels: labels), idempotent: true)
        return try await send(request, as: .installation(installationID))
            .decode([GitHubLabel].self, api: "github", operation: request.operation)
    }

    /// Removes a label; a label that is not there counts as removed.
    public func removeLabel(installationID: Int, owner: String, repo: String, issue: Int, label: String) async throws {
        let request = APIRequest(
            .DELETE, Self.path("repos", owner, repo, "issues", String(issue), "labels", label),
            operation: "remove_label")
        do {
            _ = try await send(request, as: .installation(installationID))
        } catch let error as APIError where error.statusCode == 404 {
            return
        }
    }

    public func issue(installationID: Int, owner: String, repo: String, number: Int) async throws -> GitHubIssue {
        try await issue(as: .installation(installationID), owner: owner, repo: repo, number: number)
    }

    /// An issue (or pull request) as `credential` sees it.
    public func issue(as credential: Credential, owner: String, repo: String, number: Int) async throws -> GitHubIssue {
        let request = APIRequest(
            .GET, Self.path("repos", owner, repo, "issues", String(number)), operation: "get_issue")
        return try await send(request, as: credential)
            .decode(GitHubIssue.self, api: "github", operation: request.operation)
    }
}
