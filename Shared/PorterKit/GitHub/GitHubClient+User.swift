import Foundation
import NIOCore

extension GitHubClient {
    /// The user an OAuth token belongs to.
    public func authenticatedUser(token: String) async throws -> GitHubProfile {
        let request = APIRequest(.GET, "/user", operation: "get_authenticated_user")
        return try await send(request, as: .user(token: token))
            .decode(GitHubProfile.self, api: "github", operation: request.operation)
    }

    /// The App's installations the user can reach.
    public func userInstallations(token: String) async throws -> [GitHubInstallation] {
        struct Page: Decodable { var installations: [GitHubInstallation] }
        let request = APIRequest(.GET, "/user/installations?per_page=100", operation: "list_user_installations")
        return try await send(request, as: .user(token: token))
            .decode(Page.self, api: "github", operation: request.operation).installations
    }

    /// The repositories of one installation the user can reach.
    public func userInstallationRepositories(token: String, installationID: Int) async throws -> [GitHubRepository] {
        struct Page: Decodable { var repositories: [GitHubRepository] }
        let request = APIRequest(
            .GET, Self.path("user", "installations", String(installationID), "repositories") + "?per_page=100",
            operation: "list_user_installation_repositories")
        return try await send(request, as: .user(token: token))
            .decode(Page.self, api: "github", operation: request.operation).repositories
    }

    /// The primary rate limit the user's token is counted against.
    public func rateLimit(token: String) async throws -> GitHubRateLimit {
        struct Window: Decodable {
            var limit: Int
            var remaining: Int
            var used: Int
            var reset: Int
        }
        struct Answer: Decodable {
            struct Resources: Decodable { var core: Window }
            var resources: Resources
        }
        let request = APIRequest(.GET, "/rate_limit", operation: "get_rate_limit")
        let core = try await send(request, as: .user(token: token))
            .decode(Answer.self, api: "github", operation: request.operation).resources.core
        return GitHubRateLimit(
            limit: core.limit, remaining: core.remaining, used: core.used,
            reset: Date(timeIntervalSince1970: TimeInterval(core.reset)))
    }
}
