import Foundation

extension GitHubEmulator {
    /// Makes the user's access tokens expire now, and their refresh tokens too when asked.
    public func expireUserTokens(of login: String, includingRefreshTokens: Bool = false) {
        let now = Date()
        state.withLock { state in
            for (token, user) in state.userTokens where user.login.lowercased() == login.lowercased() {
                state.userTokens[token]?.expiresAt = now
            }
            guard includingRefreshTokens else { return }
            for (token, grant) in state.refreshTokens where grant.login.lowercased() == login.lowercased() {
                state.refreshTokens[token]?.expiresAt = now
            }
        }
    }

    /// Makes every code handed out so far too old to exchange.
    public func expireOAuthCodes() {
        let now = Date()
        state.withLock { state in
            for code in state.oauthCodes.keys { state.oauthCodes[code]?.expiresAt = now }
        }
    }

    /// True while a user token signs its user in: not expired, refreshed away or revoked.
    public func isLiveUserToken(_ token: String) -> Bool { liveUserLogin(token) != nil }

    /// How many codes were traded for tokens.
    public var oauthCodeExchanges: Int { state.withLock { $0.codeExchanges } }

    /// How many refresh tokens were traded for new tokens.
    public var oauthTokenRefreshes: Int { state.withLock { $0.tokenRefreshes } }
}
