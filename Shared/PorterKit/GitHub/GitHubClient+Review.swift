import Foundation

/// What a reviewer reads and does on a pull request, as whoever `credential` names: the web app calls
/// these with the signed-in person's own token, so GitHub applies that person's permission.
extension GitHubClient {
    public func pullRequest(
        as credential: Credential, owner: String, repo: String, number: Int
    ) async throws -> GitHubPullRequest {
        let request = APIRequest(
            .GET, Self.path("repos", owner, repo, "pulls", String(number)), operation: "get_pull_request")
        return try await send(request, as: credential)
            .decode(GitHubPullRequest.self, api: "github", operation: request.operation)
    }

    public func repository(as credential: Credential, owner: String, repo: String) async throws -> GitHubRepository {
        let request = APIRequest(.GET, Self.path("repos", owner, repo), operation: "get_repository")
        return try await send(request, as: credential)
            .decode(GitHubRepository.self, api: "github", operation: request.operation)
    }

    /// Every file a pull request changes, page by page, up to `limit` (GitHub lists at most 3,000).
    public func pullRequestFiles(
        as credential: Credential, owner: String, repo: String, number: Int, limit: Int = 3_000
    ) async throws -> [GitHubPullRequestFile] {
        var files: [GitHubPullRequestFile] = []
        for page in 1...30 where files.count < limit {
            let request = APIRequest(
                .GET,
                Self.path("repos", owner, repo, "pulls", String(number), "files") + "?per_page=100&page=\(page)",
                operation: "list_pull_request_files")
            let response = try await send(request, as: credential)
            files += try response.decode([GitHubPullRequestFile].self, api: "github", operation: request.operation)
            guard Self.hasNextPage(response.headers) else { break }
        }
        return Array(files.prefix(limit))
    }

    /// Merges with `method`, only while the head is still `sha` when one is given: GitHub answers 409
    /// when a commit was pushed since, so what is merged is what the reviewer saw. A second merge is
    /// refused with 405, so a retried PUT cannot merge twice.
    public func mergePullRequest(
        as credential: Credential, owner: String, repo: String, number: Int, sha: String?,
        method: GitHubMergeMethod
    ) async throws -> GitHubMergeResult {
        struct Body: Encodable {
            var mergeMethod: GitHubMergeMethod
            var sha: String?
        }
        let request = try APIRequest.json(
            .PUT, Self.path("repos", owner, repo, "pulls", String(number), "merge"), operation: "merge_pull_request",
            body: Body(mergeMethod: method, sha: sha))
        return try await send(request, as: credential)
            .decode(GitHubMergeResult.self, api: "github", operation: request.operation)
    }

    @discardableResult
    public func closePullRequest(
        as credential: Credential, owner: String, repo: String, number: Int
    ) async throws -> GitHubPullRequest {
        struct Body: Encodable { var state = "closed" }
        let request = try APIRequest.json(
            .PATCH, Self.path("repos", owner, repo, "pulls", String(number)), operation: "close_pull_request",
            body: Body(), idempotent: true)
        return try await send(request, as: credential)
            .decode(GitHubPullRequest.self, api: "github", operation: request.operation)
    }

    /// Posts a comment on an issue or pull request; never retried blindly, since a second try would
    /// post it twice.
    public func createIssueComment(
        as credential: Credential, owner: String, repo: String, issue: Int, body: String
    ) async throws -> GitHubIssueComment {
        let request = try APIRequest.json(
            .POST, Self.path("repos", owner, repo, "issues", String(issue), "comments"),
            operation: "create_issue_comment", body: BodyText(body: body))
        return try await send(request, as: credential)
            .decode(GitHubIssueComment.self, api: "github", operation: request.operation)
    }

    /// Deletes a branch. Returns false when there was no such branch (GitHub's 422 "Reference does
    /// not exist"), so a retried delete is not an error.
    @discardableResult
    public func deleteBranch(
        as credential: Credential, owner: String, repo: String, branch: String
    ) async throws -> Bool {
        let path = Self.path(
            ["repos", owner, repo, "git", "refs", "heads"] + branch.split(separator: "/").map(String.init))
        let request = APIRequest(.DELETE, path, operation: "delete_branch", idempotent: true)
        do {
            _ = try await send(request, as: credential)
            return true
        } catch let error as APIError where error.statusCode == 422 && error.gitHubMessage == "Reference does not exist"
        {
            return false
        }
    }

    /// The check runs on a commit (`ref` is a SHA or a branch), the first 100.
    public func checkRuns(
        as credential: Credential, owner: String, repo: String, ref: String
    ) async throws
        -> [GitHubCheckRun]
    {
        struct Page: Decodable { var checkRuns: [GitHubCheckRun] }
        let request = APIRequest(
            .GET, Self.path("repos", owner, repo, "commits", ref, "check-runs") + "?per_page=100",
            operation: "list_check_runs")
        return try await send(request, as: credential)
            .decode(Page.self, api: "github", operation: request.operation).checkRuns
    }

    /// The commit statuses on a commit, combined as GitHub combines them.
    public func combinedStatus(
        as credential: Credential, owner: String, repo: String, ref: String
    ) async throws
        -> GitHubCombinedStatus
    {
        let request = APIRequest(
            .GET, Self.path("repos", owner, repo, "commits", ref, "status") + "?per_page=100",
            operation: "get_combined_status")
        return try await send(request, as: credential)
            .decode(GitHubCombinedStatus.self, api: "github", operation: request.operation)
    }

    /// The reviews submitted on a pull request, oldest first (the first 100).
    public func pullRequestReviews(
        as credential: Credential, owner: String, repo: String, number: Int
    ) async throws -> [GitHubReview] {
        let request = APIRequest(
            .GET, Self.path("repos", owner, repo, "pulls", String(number), "reviews") + "?per_page=100",
            operation: "list_reviews")
        return try await send(request, as: credential)
            .decode([GitHubReview].self, api: "github", operation: request.operation)
    }

    /// Submits a review on the commit `commitID` with line comments; never retried blindly, since a
    /// second try would submit it twice.
    public func createReview(
        as credential: Credential, owner: String, repo: String, number: Int, _ review: NewReview
    ) async throws -> GitHubReview {
        let request = try APIRequest.json(
            .POST, Self.path("repos", owner, repo, "pulls", String(number), "reviews"), operation: "create_review",
            body: review)
        return try await send(request, as: credential)
            .decode(GitHubReview.self, api: "github", operation: request.operation)
    }

    /// Takes a draft out of draft. GitHub offers this only through GraphQL; it answers errors there
    /// with 200 and an `errors` list, which become `GitHubError.graphQL`.
    public func markReadyForReview(as credential: Credential, pullRequestNodeID: String) async throws {
        struct Body: Encodable {
            struct Variables: Encodable { var id: String }
            var query: String
            var variables: Variables
        }
        struct Answer: Decodable {
            struct Failure: Decodable {
                var type: String?
                var message: String
            }
            var errors: [Failure]?
        }
        let query = """
            mutation($id: ID!) { markPullRequestReadyForReview(input: {pullRequestId: $id}) { \
            pullRequest { id isDraft } } }
            """
        let request = try APIRequest.json(
            .POST, "/graphql", operation: "mark_ready_for_review",
            body: Body(query: query, variables: .init(id: pullRequestNodeID)), idempotent: true)
        let answer = try await send(request, as: credential)
            .decode(Answer.self, api: "github", operation: request.operation)
        if let failure = answer.errors?.first {
            throw GitHubError.graphQL(type: failure.type, message: failure.message)
        }
    }
}

extension APIError {
    /// The `message` of GitHub's error body, when there is one: the reason to show a person.
    public var gitHubMessage: String? {
        guard case .status(_, _, _, let body, _) = self,
            let object = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
        else { return nil }
        return object["message"] as? String
    }
}

/// A check run on a commit.
public struct GitHubCheckRun: Codable, Sendable, Equatable {
    public struct App: Codable, Sendable, Equatable {
        public var name: String?
    }

    public var name: String
    /// `queued`, `in_progress` or `completed` (and `waiting`, `requested`, `pending`).
    public var status: String
    /// Set once completed: `success`, `failure`, `neutral`, `cancelled`, `skipped`, `timed_out`,
    /// `action_required` or `stale`.
    public var conclusion: String?
    public var htmlUrl: String?
    public var detailsUrl: String?
    public var app: App?
}

/// A commit's statuses and their combined state (`success`, `pending` or `failure`).
public struct GitHubCombinedStatus: Codable, Sendable, Equatable {
    public struct Status: Codable, Sendable, Equatable {
        public var context: String
        /// `success`, `pending`, `failure` or `error`.
        public var state: String
        public var description: String?
        public var targetUrl: String?
    }

    public var state: String
    public var statuses: [Status]
}

/// A submitted review.
public struct GitHubReview: Codable, Sendable, Equatable {
    public var id: Int64
    /// Null on GitHub for a deleted account.
    public var user: GitHubUser?
    /// `APPROVED`, `CHANGES_REQUESTED`, `COMMENTED`, `DISMISSED` or `PENDING`.
    public var state: String
}

/// A review to submit: `event` is `APPROVE`, `REQUEST_CHANGES` or `COMMENT`.
public struct NewReview: Codable, Sendable, Equatable {
    public struct LineComment: Codable, Sendable, Equatable {
        public var path: String
        public var line: Int
        /// `RIGHT` for the new code, `LEFT` for the old.
        public var side: String
        public var body: String

        public init(path: String, line: Int, side: String, body: String) {
            self.path = path
            self.line = line
            self.side = side
            self.body = body
        }
    }

    public var commitId: String
    public var body: String
    public var event: String
    public var comments: [LineComment]

    public init(commitId: String, body: String, event: String, comments: [LineComment]) {
        self.commitId = commitId
        self.body = body
        self.event = event
        self.comments = comments
    }
}
