import Foundation

extension GitHubClient {
    /// Opens a pull request exactly once. After an answer that may have been lost (a timeout, a 5xx),
    /// it first looks the PR up by its head branch and returns it when the first try took effect;
    /// only then does it create again. A 2xx answer it cannot read (a shape it does not know, a body
    /// past the cap) means GitHub opened the PR: that one is looked up by its branch, never created
    /// again, and while it cannot be found the call fails with a transient error.
    public func createPullRequest(
        installationID: Int, owner: String, repo: String, _ pull: NewPullRequest
    ) async throws -> GitHubPullRequest {
        let request = try APIRequest.json(
            .POST, Self.path("repos", owner, repo, "pulls"), operation: "create_pull_request", body: pull,
            idempotent: false)
        let head = pull.head.contains(":") ? pull.head : "\(owner):\(pull.head)"
        var attempt = 1
        while true {
            let response: APIResponse
            do {
                response = try await send(request, as: .installation(installationID))
            } catch let error as APIError where error.isResponseTooLarge {
                return try await openedPullRequest(
                    installationID: installationID, owner: owner, repo: repo, head: head, base: pull.base, after: error)
            } catch let error as APIError where Self.mayExist(after: error) && attempt < api.retry.maxAttempts {
                if let existing = try await existingPullRequest(
                    installationID: installationID, owner: owner, repo: repo, head: head, base: pull.base)
                {
                    return existing
                }
                if error.isTransient { try await Task.sleep(for: api.retry.delay(afterAttempt: attempt)) }
                attempt += 1
                continue
            }
            do {
                return try response.decode(GitHubPullRequest.self, api: "github", operation: request.operation)
            } catch {
                return try await openedPullRequest(
                    installationID: installationID, owner: owner, repo: repo, head: head, base: pull.base, after: error)
            }
        }
    }

    /// The pull request GitHub said it opened, in an answer that could not be read.
    func openedPullRequest(
        installationID: Int, owner: String, repo: String, head: String, base: String, after error: any Error
    ) async throws -> GitHubPullRequest {
        logger.warning(
            "GitHub opened a pull request but its answer could not be read; looking it up by its branch",
            metadata: ["head": "\(head)", "error": "\(error)"])
        guard
            let found = try await existingPullRequest(
                installationID: installationID, owner: owner, repo: repo, head: head, base: base)
        else { throw GitHubError.createdButUnread(operation: "create_pull_request") }
        return found
    }

    /// The pull request from `head` (`owner:branch`) into `base`, open or not, when there is one. A list
    /// GitHub answered but that cannot be read fails with a transient error: this is how a pull request
    /// Porter may already have opened is found, and giving up would leave it unrecorded.
    public func existingPullRequest(
        installationID: Int, owner: String, repo: String, head: String, base: String
    ) async throws -> GitHubPullRequest? {
        do {
            return try await pullRequests(
                installationID: installationID, owner: owner, repo: repo, head: head, state: "all"
            ).first { $0.base.ref == base }
        } catch let error as APIError where error.isDecoding {
            throw GitHubError.createdButUnread(operation: "create_pull_request")
        }
    }

    /// A lost answer, or GitHub saying a PR for this head already exists.
    static func mayExist(after error: APIError) -> Bool {
        if error.isTransient { return true }
        if case .status(422, _, _, let body, _) = error { return body.contains("already exists") }
        return false
    }

    /// Pull requests, optionally only those from `head` (`owner:branch`).
    public func pullRequests(
        installationID: Int, owner: String, repo: String, head: String? = nil, state: String = "open"
    ) async throws -> [GitHubPullRequest] {
        var query = "?state=\(state)&per_page=100"
        if let head, let encoded = head.addingPercentEncoding(withAllowedCharacters: .alphanumerics) {
            query += "&head=\(encoded)"
        }
        let request = APIRequest(
            .GET, Self.path("repos", owner, repo, "pulls") + query, operation: "list_pull_requests")
        return try await send(request, as: .installation(installationID))
            .decode([GitHubPullRequest].self, api: "github", operation: request.operation)
    }

    public func pullRequest(
        installationID: Int, owner: String, repo: String, number: Int
    ) async throws -> GitHubPullRequest {
        try await pullRequest(as: .installation(installationID), owner: owner, repo: repo, number: number)
    }

    /// The line comments a review was submitted with, in the order they were made (at most 100: more
    /// than a prompt would hold).
    public func reviewComments(
        installationID: Int, owner: String, repo: String, number: Int, reviewID: Int64
    ) async throws -> [GitHubReviewComment] {
        let request = APIRequest(
            .GET,
            Self.path("repos", owner, repo, "pulls", String(number), "reviews", String(reviewID), "comments")
                + "?per_page=100", operation: "list_review_comments")
        return try await send(request, as: .installation(installationID))
            .decode([GitHubReviewComment].self, api: "github", operation: request.operation)
    }

    public func pullRequestFiles(
        installationID: Int, owner: String, repo: String, number: Int
    ) async throws -> [GitHubPullRequestFile] {
        try await pullRequestFiles(as: .installation(installationID), owner: owner, repo: repo, number: number)
    }

    /// Merges whatever the head holds; GitHub refuses a second merge with 405, so a retried PUT
    /// cannot merge twice.
    public func mergePullRequest(
        installationID: Int, owner: String, repo: String, number: Int, method: GitHubMergeMethod = .squash
    ) async throws -> GitHubMergeResult {
        try await mergePullRequest(
            as: .installation(installationID), owner: owner, repo: repo, number: number, sha: nil, method: method)
    }

    /// Replaces a pull request's description. Idempotent: the same body written twice is one edit.
    @discardableResult
    public func updatePullRequestBody(
        installationID: Int, owner: String, repo: String, number: Int, body: String
    ) async throws -> GitHubPullRequest {
        struct Body: Encodable { var body: String }
        let request = try APIRequest.json(
            .PATCH, Self.path("repos", owner, repo, "pulls", String(number)), operation: "update_pull_request",
            body: Body(body: body), idempotent: true)
        return try await send(request, as: .installation(installationID))
            .decode(GitHubPullRequest.self, api: "github", operation: request.operation)
    }

    @discardableResult
    public func closePullRequest(
        installationID: Int, owner: String, repo: String, number: Int
    ) async throws -> GitHubPullRequest {
        try await closePullRequest(as: .installation(installationID), owner: owner, repo: repo, number: number)
    }
}
