import Foundation
import Logging
import PorterKit

/// GitHub as the signed-in user sees it, through their own token, renewed when it has expired.
struct UserGitHub: Sendable {
    let github: GitHubClient
    let accounts: PostgresAccountStore
    let oauth: GitHubOAuthCredentials
    let appID: Int

    /// The user's token, refreshed first when it has expired. Throws `reauthenticate` when GitHub no
    /// longer renews it: the person must sign in again.
    func token(for user: SignedInUser) async throws -> String {
        guard let stored = try await accounts.token(userID: user.id) else { throw WebError.reauthenticate }
        return stored.isExpired() ? try await refresh(user, stored) : stored.accessToken.value
    }

    /// Trades the stored refresh token for a new pair and stores it; a refusal forgets both.
    func refresh(_ user: SignedInUser, _ stored: UserToken) async throws -> String {
        guard let refresh = stored.refreshToken, stored.refreshExpiresAt.map({ $0 > Date() }) ?? true else {
            try await accounts.forgetToken(userID: user.id)
            throw WebError.reauthenticate
        }
        let renewed: GitHubOAuthToken
        do {
            renewed = try await github.refreshOAuthToken(
                refresh.value, clientID: oauth.clientID, clientSecret: oauth.clientSecret)
        } catch GitHubError.oauth {
            try await accounts.forgetToken(userID: user.id)
            throw WebError.reauthenticate
        }
        try await accounts.store(UserToken(renewed), userID: user.id)
        return renewed.accessToken
    }

    /// Calls GitHub with the user's token. A token GitHub refuses before its time (expired early,
    /// or revoked) is refreshed once; when that fails too, only a new sign-in helps.
    func call<T>(_ user: SignedInUser, _ body: (String) async throws -> T) async throws -> T {
        do {
            return try await body(token(for: user))
        } catch let error as APIError where error.statusCode == 401 {
            guard let stored = try await accounts.token(userID: user.id) else { throw WebError.reauthenticate }
            let renewed = try await refresh(user, stored)
            do {
                return try await body(renewed)
            } catch let error as APIError where error.statusCode == 401 {
                try await accounts.forgetToken(userID: user.id)
                throw WebError.reauthenticate
            } catch let error as APIError {
                throw Self.upstream(error)
            }
        } catch let error as APIError {
            throw Self.upstream(error)
        }
    }

    static func upstream(_ error: APIError) -> WebError {
        .upstream("GitHub answered \(error.statusCode.map(String.init) ?? "nothing"); try again.")
    }

    /// The App's installations the user can reach, each with the repositories they can see.
    func installations(_ user: SignedInUser) async throws -> [(GitHubInstallation, [GitHubRepository])] {
        try await call(user) { token in
            var found: [(GitHubInstallation, [GitHubRepository])] = []
            for installation in try await github.userInstallations(token: token)
            where installation.appId == nil || installation.appId == appID {
                found.append(
                    (
                        installation,
                        try await github.userInstallationRepositories(token: token, installationID: installation.id)
                    ))
            }
            return found
        }
    }
}

extension UserToken {
    init(_ token: GitHubOAuthToken) {
        self.init(
            accessToken: Secret(token.accessToken), expiresAt: token.expiresAt,
            refreshToken: token.refreshToken.map { Secret($0) }, refreshExpiresAt: token.refreshTokenExpiresAt)
    }
}

extension WebError {
    static let reauthenticate = WebError(
        status: .unauthorized, code: "github_reauth_required",
        message: "GitHub no longer accepts your sign-in. Sign out and sign in again.")
}
