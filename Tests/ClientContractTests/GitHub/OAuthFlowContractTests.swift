import Foundation
import PorterEmulators
import PorterKit
import Testing

/// Sign-in as a GitHub App: the authorize redirect, consent, PKCE and the code exchange, with the
/// real client against the emulator over HTTP.
@Suite struct OAuthFlowContractTests {
    static let secret = Secret("emulated-secret")

    @Test func aSignInWithPKCEYieldsExpiringTokensForTheUser() async throws {
        let (token, user, exchanges) = try await OAuthWorld.live { emulator, github, browser in
            let pkce = PKCE.generate()
            let code = try await browser.code(challenge: pkce.challenge)
            let token = try await github.exchangeOAuthCode(
                code, clientID: emulator.app.clientID, clientSecret: Self.secret, redirectURI: OAuthWorld.redirectURI,
                codeVerifier: pkce.verifier)
            return (token, try await github.authenticatedUser(token: token.accessToken), emulator.oauthCodeExchanges)
        }
        #expect(user.login == "mona")
        #expect(exchanges == 1)
        #expect(token.accessToken.hasPrefix("ghu_"))
        #expect(try #require(token.refreshToken).hasPrefix("ghr_"))
        let lifetime = try #require(token.expiresAt).timeIntervalSinceNow
        #expect(lifetime > 28_700 && lifetime <= 28_800)
        let refreshLifetime = try #require(token.refreshTokenExpiresAt).timeIntervalSinceNow
        #expect(refreshLifetime > 15_897_500 && refreshLifetime <= 15_897_600)
        #expect(token.tokenType == "bearer")
    }

    @Test func aWrongOrMissingVerifierIsRefused() async throws {
        try await OAuthWorld.live { emulator, github, browser in
            let pkce = PKCE.generate()
            let wrong = try await browser.code(challenge: pkce.challenge)
            await #expect(throws: GitHubError.oauth("bad_verification_code")) {
                try await github.exchangeOAuthCode(
                    wrong, clientID: emulator.app.clientID, clientSecret: Self.secret,
                    codeVerifier: PKCE.generate().verifier)
            }
            let missing = try await browser.code(challenge: pkce.challenge)
            await #expect(throws: GitHubError.oauth("bad_verification_code")) {
                try await github.exchangeOAuthCode(missing, clientID: emulator.app.clientID, clientSecret: Self.secret)
            }
            #expect(emulator.oauthCodeExchanges == 0)
        }
    }

    @Test func aCodeWorksOnceAndNotAfterTenMinutes() async throws {
        try await OAuthWorld.live { emulator, github, browser in
            let code = try await browser.code(challenge: nil)
            _ = try await github.exchangeOAuthCode(code, clientID: emulator.app.clientID, clientSecret: Self.secret)
            await #expect(throws: GitHubError.oauth("bad_verification_code")) {
                try await github.exchangeOAuthCode(code, clientID: emulator.app.clientID, clientSecret: Self.secret)
            }
            let old = try await browser.code(challenge: nil)
            emulator.expireOAuthCodes()
            await #expect(throws: GitHubError.oauth("bad_verification_code")) {
                try await github.exchangeOAuthCode(old, clientID: emulator.app.clientID, clientSecret: Self.secret)
            }
        }
    }

    @Test func anotherRedirectURIOrAWrongSecretIsRefused() async throws {
        try await OAuthWorld.live { emulator, github, browser in
            let code = try await browser.code(challenge: nil)
            await #expect(throws: GitHubError.oauth("redirect_uri_mismatch")) {
                try await github.exchangeOAuthCode(
                    code, clientID: emulator.app.clientID, clientSecret: Self.secret,
                    redirectURI: "http://localhost:8080/elsewhere")
            }
            let another = try await browser.code(challenge: nil)
            await #expect(throws: GitHubError.oauth("incorrect_client_credentials")) {
                try await github.exchangeOAuthCode(
                    another, clientID: emulator.app.clientID, clientSecret: Secret("not-the-secret"))
            }
        }
    }

    @Test func aDenialRedirectsWithAccessDeniedAndTheState() async throws {
        let answer = try await OAuthWorld.live { emulator, _, browser in
            emulator.oauthConsent = .deny
            return try await browser.authorize(state: "st-deny")
        }
        #expect(answer.status == 302)
        let location = try #require(answer.headers.first(name: "Location"))
        #expect(location.hasPrefix(OAuthWorld.redirectURI + "?error=access_denied&"))
        #expect(location.contains("error_description=The+user+has+denied+your+application+access."))
        #expect(answer.redirected("state") == "st-deny")
        #expect(answer.redirected("code") == nil)
        #expect(answer.redirected("error_uri")?.hasPrefix("https://docs.github.com/") == true)
    }

    @Test func theConsentPageFormAuthorizesAndCarriesTheStateIntact() async throws {
        let state = #"a b&c"<+'"#
        let (page, redirect, user) = try await OAuthWorld.live { emulator, github, browser in
            emulator.oauthConsent = .page
            emulator.authorizingUser = nil
            let pkce = PKCE.generate()
            let page = try await browser.authorize(state: state, challenge: pkce.challenge)
            let form = page.hiddenFields.map { ($0.key, $0.value) } + [("login", "octo"), ("decision", "authorize")]
            let redirect = try await browser.send(.POST, "/login/oauth/authorize", form: form)
            let code = try #require(redirect.redirected("code"))
            let token = try await github.exchangeOAuthCode(
                code, clientID: emulator.app.clientID, clientSecret: Self.secret, redirectURI: OAuthWorld.redirectURI,
                codeVerifier: pkce.verifier)
            return (page, redirect, try await github.authenticatedUser(token: token.accessToken))
        }
        #expect(page.status == 200)
        #expect(page.headers.first(name: "Content-Type")?.hasPrefix("text/html") == true)
        #expect(page.body.contains("<h1>Authorize <strong>porter</strong></h1>"))
        #expect(page.body.contains(#"id="authorize""#) && page.body.contains(#"id="cancel""#))
        #expect(page.body.contains(#"name="login" required"#))
        #expect(!page.body.contains(state), "the state must be escaped in the page")
        #expect(page.hiddenFields["state"] == state)
        #expect(page.hiddenFields["code_challenge_method"] == "S256")
        #expect(redirect.status == 302)
        #expect(redirect.redirected("state") == state)
        #expect(user.login == "octo")
    }

    @Test func theConsentPageShowsTheSignedInUserAndCancelDenies() async throws {
        let (page, cancelled) = try await OAuthWorld.live { emulator, _, browser in
            emulator.oauthConsent = .page
            let page = try await browser.authorize(state: "st-page")
            let form = page.hiddenFields.map { ($0.key, $0.value) } + [("decision", "cancel")]
            return (page, try await browser.send(.POST, "/login/oauth/authorize", form: form))
        }
        #expect(page.body.contains("Signed in as <strong>@mona</strong>"))
        #expect(!page.body.contains(#"type="text""#))
        #expect(page.hiddenFields["login"] == "mona")
        #expect(cancelled.status == 302)
        #expect(cancelled.redirected("error") == "access_denied")
        #expect(cancelled.redirected("state") == "st-page")
        #expect(cancelled.redirected("code") == nil)
    }

    @Test func anUnknownAppOrAMissingRedirectIsAnErrorPage() async throws {
        let (unknown, noRedirect, plain) = try await OAuthWorld.live { _, _, browser in
            let unknown = try await browser.send(
                .GET, "/login/oauth/authorize?client_id=Iv1.other&redirect_uri=http://localhost/cb")
            let noRedirect = try await browser.send(.GET, "/login/oauth/authorize?client_id=Iv1.emulated")
            let plain = try await browser.authorize(extra: [
                ("code_challenge", "abc"), ("code_challenge_method", "plain"),
            ])
            return (unknown, noRedirect, plain)
        }
        #expect(unknown.status == 404)
        #expect(unknown.headers.first(name: "Content-Type")?.hasPrefix("text/html") == true)
        #expect(noRedirect.status == 400)
        #expect(plain.status == 400)
    }

    @Test func anAppWithoutExpiringTokensGetsNoRefreshToken() async throws {
        let token = try await OAuthWorld.live { emulator, github, browser in
            emulator.userTokenLifetime = nil
            let code = try await browser.code(challenge: nil)
            return try await github.exchangeOAuthCode(code, clientID: emulator.app.clientID, clientSecret: Self.secret)
        }
        #expect(token.expiresAt == nil)
        #expect(token.refreshToken == nil)
        #expect(token.refreshTokenExpiresAt == nil)
        #expect(!token.isExpired(at: .distantFuture))
    }
}
