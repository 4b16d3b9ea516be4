import Foundation

extension GitHubClient {
    /// The open issues of a repository as a user sees them through their token, newest first: the
    /// first 100 GitHub lists, pull requests (which the issues endpoint lists too) left out.
    public func openIssues(token: String, owner: String, repo: String) async throws -> [GitHubIssue] {
        let request = APIRequest(
            .GET, Self.path("repos", owner, repo, "issues") + "?state=open&sort=created&direction=desc&per_page=100",
            operation: "list_repository_issues")
        return try await send(request, as: .user(token: token))
            .decode([GitHubIssue].self, api: "github", operation: request.operation)
            .filter { $0.pullRequest == nil }
    }

    /// Opens an issue with a user's token, so GitHub shows that user as its author. Never retried
    /// blindly: a second try would open a second issue.
    public func createIssue(
        token: String, owner: String, repo: String, title: String, body: String?
    ) async throws
        -> GitHubIssue
    {
        struct Body: Encodable {
            var title: String
            var body: String?
        }
        let request = try APIRequest.json(
            .POST, Self.path("repos", owner, repo, "issues"), operation: "create_issue",
            body: Body(title: title, body: body))
        return try await send(request, as: .user(token: token))
            .decode(GitHubIssue.self, api: "github", operation: request.operation)
    }
}
