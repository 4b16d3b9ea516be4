import Crypto
import Foundation

/// A refusal at `/login/oauth/access_token`; GitHub answers these with 200 and an `error` field.
struct OAuthRefusal: Error {
    var error: String
    var description: String
    var anchor: String

    static let incorrectClientCredentials = OAuthRefusal(
        error: "incorrect_client_credentials",
        description: "The client_id and/or client_secret passed are incorrect.", anchor: "incorrect-client-credentials")
    static let badVerificationCode = OAuthRefusal(
        error: "bad_verification_code", description: "The code passed is incorrect or expired.",
        anchor: "bad-verification-code")
    static let redirectURIMismatch = OAuthRefusal(
        error: "redirect_uri_mismatch",
        description: "The redirect_uri MUST match the registered callback URL for this application.",
        anchor: "redirect-uri-mismatch2")
    static let badRefreshToken = OAuthRefusal(
        error: "bad_refresh_token", description: "The refresh token passed is incorrect or expired.",
        anchor: "bad-refresh-token")
    static let unsupportedGrantType = OAuthRefusal(
        error: "unsupported_grant_type", description: "The grant type is not supported.",
        anchor: "unsupported-grant-type")

    var fields: [String: Any] {
        [
            "error": error, "error_description": description,
            "error_uri":
                "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#\(anchor)",
        ]
    }
}

/// A user token as the exchange or a refresh hands it out.
struct IssuedUserToken: Sendable {
    var accessToken: String
    var expiresIn: Int?
    var refreshToken: String?

    var fields: [String: Any] {
        var fields: [String: Any] = ["access_token": accessToken, "token_type": "bearer", "scope": ""]
        if let expiresIn, let refreshToken {
            fields["expires_in"] = expiresIn
            fields["refresh_token"] = refreshToken
            fields["refresh_token_expires_in"] = Int(GitHubEmulator.refreshTokenLifetime)
        }
        return fields
    }
}

extension GitHubEmulator {
    static let codeLifetime: TimeInterval = 600
    /// GitHub's refresh tokens live six months.
    static let refreshTokenLifetime: TimeInterval = 15_897_600

    func issueCode(login: String, redirectURI: String, codeChallenge: String?) -> String {
        let code = Self.randomToken().prefix(20).lowercased()
        let grant = OAuthCode(
            login: login, redirectURI: redirectURI, codeChallenge: codeChallenge,
            expiresAt: Date().addingTimeInterval(Self.codeLifetime))
        state.withLock { $0.oauthCodes[code] = grant }
        return code
    }

    /// Answers `/login/oauth/access_token` for a code or a refresh token.
    func grantToken(_ fields: [String: String]) throws(OAuthRefusal) -> IssuedUserToken {
        guard fields["client_id"] == app.clientID, fields["client_secret"] == app.clientSecret else {
            throw .incorrectClientCredentials
        }
        switch fields["grant_type"] {
        case "refresh_token": return try refresh(fields["refresh_token"])
        case nil, "authorization_code":
            return try exchange(
                code: fields["code"], verifier: fields["code_verifier"], redirectURI: fields["redirect_uri"])
        default: throw .unsupportedGrantType
        }
    }

    func exchange(code: String?, verifier: String?, redirectURI: String?) throws(OAuthRefusal) -> IssuedUserToken {
        let now = Date()
        return try state.withLock { state throws(OAuthRefusal) -> IssuedUserToken in
            // Any attempt spends the code, so an intercepted code cannot be tried against many verifiers.
            guard let code, let grant = state.oauthCodes.removeValue(forKey: code), grant.expiresAt > now else {
                throw .badVerificationCode
            }
            if let redirectURI, redirectURI != grant.redirectURI { throw .redirectURIMismatch }
            if let challenge = grant.codeChallenge {
                guard let verifier, Self.s256(verifier) == challenge else { throw .badVerificationCode }
            }
            state.codeExchanges += 1
            return Self.mintUserToken(for: grant.login, in: &state, now: now)
        }
    }

    /// Trades a refresh token for a new pair; the old refresh token and its access token stop working.
    func refresh(_ refreshToken: String?) throws(OAuthRefusal) -> IssuedUserToken {
        let now = Date()
        return try state.withLock { state throws(OAuthRefusal) -> IssuedUserToken in
            guard let refreshToken, let grant = state.refreshTokens.removeValue(forKey: refreshToken),
                grant.expiresAt > now
            else { throw .badRefreshToken }
            state.userTokens[grant.accessToken] = nil
            state.tokenRefreshes += 1
            return Self.mintUserToken(for: grant.login, in: &state, now: now)
        }
    }

    static func mintUserToken(for login: String, in state: inout GitHubEmulatorState, now: Date) -> IssuedUserToken {
        let accessToken = "ghu_" + randomToken()
        guard let lifetime = state.userTokenLifetime.map(Self.seconds) else {
            state.userTokens[accessToken] = UserToken(login: login, expiresAt: nil)
            return IssuedUserToken(accessToken: accessToken)
        }
        let refreshToken = "ghr_" + randomToken() + randomToken()
        state.userTokens[accessToken] = UserToken(login: login, expiresAt: now.addingTimeInterval(lifetime))
        state.refreshTokens[refreshToken] = RefreshGrant(
            login: login, accessToken: accessToken, expiresAt: now.addingTimeInterval(refreshTokenLifetime))
        return IssuedUserToken(accessToken: accessToken, expiresIn: Int(lifetime), refreshToken: refreshToken)
    }

    /// The login a user token signs in, while it is live.
    func liveUserLogin(_ token: String, now: Date = Date()) -> String? {
        state.withLock { state in
            guard let user = state.userTokens[token], user.expiresAt.map({ $0 > now }) ?? true else { return nil }
            return user.login
        }
    }

    /// Retires a user token and the refresh token issued with it; false when the token was unknown.
    func revokeUserToken(_ token: String) -> Bool {
        state.withLock { state in
            guard state.userTokens.removeValue(forKey: token) != nil else { return false }
            state.refreshTokens = state.refreshTokens.filter { $0.value.accessToken != token }
            return true
        }
    }

    /// Retires every token of the user `token` belongs to, as deleting the App's authorization does.
    func revokeAuthorization(of token: String) -> Bool {
        state.withLock { state in
            guard let login = state.userTokens[token]?.login.lowercased() else { return false }
            state.userTokens = state.userTokens.filter { $0.value.login.lowercased() != login }
            state.refreshTokens = state.refreshTokens.filter { $0.value.login.lowercased() != login }
            return true
        }
    }

    /// The S256 code challenge of a PKCE verifier: base64url, unpadded, of its SHA-256.
    static func s256(_ verifier: String) -> String {
        Data(SHA256.hash(data: Data(verifier.utf8))).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func seconds(_ duration: Duration) -> TimeInterval {
        let (seconds, attoseconds) = duration.components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}
