import Foundation
import NIOCore

extension GitHubClient {
    /// The user an OAuth token belongs to.
    public func authenticatedUser(token: String) async throws -> GitHubUser {
        let request = APIRequest(.GET, "/user", operation: "get_authenticated_user")
        return try await send(request, as: .user(token: token))
            .decode(GitHubUser.self, api: "github", operation: request.operation)
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

    /// Trades the `code` from the sign-in redirect for the user's token.
    public func exchangeOAuthCode(
        _ code: String, clientID: String, clientSecret: Secret<String>, redirectURI: String? = nil
    ) async throws -> GitHubOAuthToken {
        struct Body: Encodable {
            var clientId: String
            var clientSecret: String
            var code: String
            var redirectUri: String?
        }
        struct Answer: Decodable {
            var accessToken: String?
            var tokenType: String?
            var scope: String?
            var error: String?
        }
        let request = try APIRequest.json(
            .POST, "/login/oauth/access_token", operation: "exchange_oauth_code",
            body: Body(
                clientId: clientID, clientSecret: clientSecret.value, code: code,
                redirectUri: redirectURI),
            idempotent: false)
        let answer = try await web.send(request).decode(Answer.self, api: "github", operation: request.operation)
        // GitHub reports a bad or used code with 200 and an `error` field.
        guard let token = answer.accessToken else { throw GitHubError.oauth(answer.error ?? "no access token") }
        return GitHubOAuthToken(accessToken: token, tokenType: answer.tokenType ?? "bearer", scope: answer.scope ?? "")
    }
}
