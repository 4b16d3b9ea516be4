import Foundation
import NIOCore

/// GitHub App user authorization: codes and refresh tokens traded for user tokens on the web host,
/// and a user token revoked with the App's client credentials.
extension GitHubClient {
    /// Trades the `code` from the sign-in redirect for the user's tokens. Pass the redirect URI and
    /// the PKCE verifier when the authorize URL carried them. A refusal throws `GitHubError.oauth`
    /// with GitHub's code, such as `bad_verification_code` or `redirect_uri_mismatch`.
    public func exchangeOAuthCode(
        _ code: String, clientID: String, clientSecret: Secret<String>, redirectURI: String? = nil,
        codeVerifier: String? = nil
    ) async throws -> GitHubOAuthToken {
        try await requestOAuthToken(
            OAuthTokenRequest(
                clientId: clientID, clientSecret: clientSecret.value, code: code, redirectUri: redirectURI,
                codeVerifier: codeVerifier),
            operation: "exchange_oauth_code")
    }

    /// Trades a refresh token for a new access and refresh token; the old ones stop working. A used
    /// or expired refresh token throws `GitHubError.oauth("bad_refresh_token")`.
    public func refreshOAuthToken(
        _ refreshToken: String, clientID: String, clientSecret: Secret<String>
    ) async throws -> GitHubOAuthToken {
        try await requestOAuthToken(
            OAuthTokenRequest(
                clientId: clientID, clientSecret: clientSecret.value, grantType: "refresh_token",
                refreshToken: refreshToken),
            operation: "refresh_oauth_token")
    }

    /// Revokes a user's access token at GitHub, as sign-out should; false when GitHub did not know the
    /// token (already revoked or expired).
    @discardableResult
    public func revokeOAuthToken(_ token: String, clientID: String, clientSecret: Secret<String>) async throws -> Bool {
        struct Body: Encodable { var accessToken: String }
        var request = try APIRequest.json(
            .DELETE, Self.path("applications", clientID, "token"), operation: "revoke_oauth_token",
            body: Body(accessToken: token))
        let credentials = Data("\(clientID):\(clientSecret.value)".utf8).base64EncodedString()
        request.headers.add(name: "Authorization", value: "Basic \(credentials)")
        do {
            _ = try await api.send(request)
            return true
        } catch let error as APIError where error.statusCode == 404 {
            return false
        }
    }

    struct OAuthTokenRequest: Encodable {
        var clientId: String
        var clientSecret: String
        var grantType: String?
        var code: String?
        var redirectUri: String?
        var codeVerifier: String?
        var refreshToken: String?
    }

    func requestOAuthToken(_ body: OAuthTokenRequest, operation: String) async throws -> GitHubOAuthToken {
        struct Answer: Decodable {
            var accessToken: String?
            var tokenType: String?
            var scope: String?
            var expiresIn: Int?
            var refreshToken: String?
            var refreshTokenExpiresIn: Int?
            var error: String?
        }
        // Lifetimes count from before the request left, so an expiry is never later than GitHub's.
        let sent = Date()
        // Not retried: a code or refresh token is spent by the first attempt that reaches GitHub.
        let request = try APIRequest.json(
            .POST, "/login/oauth/access_token", operation: operation, body: body, idempotent: false)
        let answer = try await web.send(request).decode(Answer.self, api: "github", operation: request.operation)
        // GitHub reports a refusal with 200 and an `error` field.
        guard let accessToken = answer.accessToken else { throw GitHubError.oauth(answer.error ?? "no access token") }
        return GitHubOAuthToken(
            accessToken: accessToken, tokenType: answer.tokenType ?? "bearer", scope: answer.scope ?? "",
            expiresAt: answer.expiresIn.map { sent.addingTimeInterval(TimeInterval($0)) },
            refreshToken: answer.refreshToken,
            refreshTokenExpiresAt: answer.refreshTokenExpiresIn.map { sent.addingTimeInterval(TimeInterval($0)) })
    }
}
