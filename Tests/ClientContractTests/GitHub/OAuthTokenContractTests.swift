import Foundation
import NIOHTTP1
import PorterEmulators
import PorterKit
import Testing

/// A signed-in user's tokens over their life: refresh, expiry, rate limit and revocation.
@Suite struct OAuthTokenContractTests {
    static let secret = Secret("emulated-secret")

    static func signIn(
        _ emulator: GitHubEmulator, _ github: GitHubClient, _ browser: Browser, as login: String = "mona"
    ) async throws -> GitHubOAuthToken {
        let code = try await browser.code(challenge: nil, login: login)
        return try await github.exchangeOAuthCode(code, clientID: emulator.app.clientID, clientSecret: secret)
    }

    /// Expects GitHub's 401 Bad credentials.
    static func expectRefused<R: Sendable>(
        sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> R
    ) async {
        let error = await #expect(throws: APIError.self, sourceLocation: sourceLocation) {
            _ = try await body()
        }
        #expect(error?.statusCode == 401, sourceLocation: sourceLocation)
    }

    @Test func aRefreshRotatesBothTokensAndRetiresTheOldOnes() async throws {
        try await OAuthWorld.live { emulator, github, browser in
            let first = try await Self.signIn(emulator, github, browser)
            let refreshToken = try #require(first.refreshToken)
            let second = try await github.refreshOAuthToken(
                refreshToken, clientID: emulator.app.clientID, clientSecret: Self.secret)
            #expect(second.accessToken != first.accessToken)
            #expect(second.refreshToken != nil && second.refreshToken != refreshToken)
            #expect(second.expiresAt != nil)
            #expect(try await github.authenticatedUser(token: second.accessToken).login == "mona")
            await Self.expectRefused { try await github.authenticatedUser(token: first.accessToken) }
            await #expect(throws: GitHubError.oauth("bad_refresh_token")) {
                try await github.refreshOAuthToken(
                    refreshToken, clientID: emulator.app.clientID, clientSecret: Self.secret)
            }
            await #expect(throws: GitHubError.oauth("incorrect_client_credentials")) {
                try await github.refreshOAuthToken(
                    try #require(second.refreshToken), clientID: emulator.app.clientID, clientSecret: Secret("wrong"))
            }
            #expect(emulator.oauthTokenRefreshes == 1)
        }
    }

    @Test func anExpiredTokenIsRefusedEverywhereUntilRefreshed() async throws {
        try await OAuthWorld.live { emulator, github, browser in
            let token = try await Self.signIn(emulator, github, browser)
            emulator.expireUserTokens(of: "mona")
            #expect(!emulator.isLiveUserToken(token.accessToken))
            await Self.expectRefused { try await github.authenticatedUser(token: token.accessToken) }
            await Self.expectRefused { try await github.userInstallations(token: token.accessToken) }
            await Self.expectRefused { try await github.rateLimit(token: token.accessToken) }
            let fresh = try await github.refreshOAuthToken(
                try #require(token.refreshToken), clientID: emulator.app.clientID, clientSecret: Self.secret)
            #expect(try await github.authenticatedUser(token: fresh.accessToken).login == "mona")

            emulator.expireUserTokens(of: "mona", includingRefreshTokens: true)
            await #expect(throws: GitHubError.oauth("bad_refresh_token")) {
                try await github.refreshOAuthToken(
                    try #require(fresh.refreshToken), clientID: emulator.app.clientID, clientSecret: Self.secret)
            }
        }
    }

    @Test func theRateLimitCountsEachUsersCallsAlone() async throws {
        try await OAuthWorld.live { emulator, github, browser in
            let mona = try await Self.signIn(emulator, github, browser)
            let octo = try await Self.signIn(emulator, github, browser, as: "octo")
            for _ in 0..<3 { _ = try await github.authenticatedUser(token: mona.accessToken) }
            _ = try await github.userInstallations(token: octo.accessToken)
            let monaLimit = try await github.rateLimit(token: mona.accessToken)
            let octoLimit = try await github.rateLimit(token: octo.accessToken)
            // Asking for the rate limit is free.
            let again = try await github.rateLimit(token: mona.accessToken)
            #expect(monaLimit.limit == 5000)
            #expect(monaLimit.used == 3)
            #expect(monaLimit.remaining == 4997)
            #expect(octoLimit.used == 1)
            #expect(again == monaLimit)
            let reset = monaLimit.reset.timeIntervalSinceNow
            #expect(reset > 3500 && reset <= 3600)
        }
    }

    @Test func aRevokedTokenIsRefusedAndItsRefreshTokenToo() async throws {
        try await OAuthWorld.live { emulator, github, browser in
            let token = try await Self.signIn(emulator, github, browser)
            let other = try await Self.signIn(emulator, github, browser)
            await Self.expectRefused {
                try await github.revokeOAuthToken(
                    token.accessToken, clientID: emulator.app.clientID, clientSecret: Secret("wrong"))
            }
            #expect(emulator.isLiveUserToken(token.accessToken))
            #expect(
                try await github.revokeOAuthToken(
                    token.accessToken, clientID: emulator.app.clientID, clientSecret: Self.secret))
            await Self.expectRefused { try await github.authenticatedUser(token: token.accessToken) }
            await #expect(throws: GitHubError.oauth("bad_refresh_token")) {
                try await github.refreshOAuthToken(
                    try #require(token.refreshToken), clientID: emulator.app.clientID, clientSecret: Self.secret)
            }
            #expect(
                try await !github.revokeOAuthToken(
                    token.accessToken, clientID: emulator.app.clientID, clientSecret: Self.secret))
            // Only that token: the user's other session goes on.
            #expect(try await github.authenticatedUser(token: other.accessToken).login == "mona")
        }
    }

    @Test func deletingTheGrantRetiresEveryTokenOfTheUser() async throws {
        try await OAuthWorld.live { emulator, github, browser in
            let first = try await Self.signIn(emulator, github, browser)
            let second = try await Self.signIn(emulator, github, browser)
            let octo = try await Self.signIn(emulator, github, browser, as: "octo")
            var headers = HTTPHeaders()
            let basic = Data("\(emulator.app.clientID):emulated-secret".utf8).base64EncodedString()
            headers.add(name: "Authorization", value: "Basic \(basic)")
            let answer = try await browser.send(
                .DELETE, "/applications/\(emulator.app.clientID)/grant", headers: headers,
                json: #"{"access_token": "\#(first.accessToken)"}"#)
            #expect(answer.status == 204)
            #expect(!emulator.isLiveUserToken(first.accessToken))
            #expect(!emulator.isLiveUserToken(second.accessToken))
            #expect(emulator.isLiveUserToken(octo.accessToken))
        }
    }

    @Test func theSignInKnobsAnswerOverHTTP() async throws {
        try await OAuthWorld.live { emulator, github, browser in
            let settings = try await browser.send(
                .PUT, "/_emulator/oauth",
                json: #"{"consent": "page", "authorizingUser": "hubot", "userTokenLifetimeSeconds": 60}"#)
            #expect(settings.status == 204)
            #expect(emulator.oauthConsent == .page)
            #expect(emulator.authorizingUser == "hubot")
            #expect(emulator.userTokenLifetime == .seconds(60))
            emulator.oauthConsent = .automatic
            let token = try await Self.signIn(emulator, github, browser, as: "hubot")
            let lifetime = try #require(token.expiresAt).timeIntervalSinceNow
            #expect(lifetime > 0 && lifetime <= 60)
            let expire = try await browser.send(.POST, "/_emulator/oauth/expire", json: #"{"login": "hubot"}"#)
            #expect(expire.status == 204)
            #expect(!emulator.isLiveUserToken(token.accessToken))
            let counts = try await browser.send(.GET, "/_emulator/oauth")
            #expect(counts.body.contains(#""codeExchanges":1"#))
        }
    }
}
