import Foundation
import HTTPTypes
import PorterKit
import PorterTestSupport
import PostgresNIO
import Testing

@testable import WebAPI

/// Sign-in with GitHub, sessions and sign-out, through the live web-api and the GitHub emulator, and
/// the ways people try to break them.
@Suite(.timeLimit(.minutes(3))) struct WebSignInTests {
    @Test func signingInThroughGitHubCreatesTheUserAndASessionCookie() async throws {
        try await WebWorld.run { world in
            let browser = world.browser()
            let authorize = try await browser.beginSignIn()
            let query = Dictionary(uniqueKeysWithValues: (authorize.queryItems ?? []).map { ($0.name, $0.value ?? "") })
            #expect(authorize.path == "/login/oauth/authorize")
            #expect(query["client_id"] == WebWorld.clientID)
            #expect(query["code_challenge_method"] == "S256")
            #expect(query["code_challenge"]?.count == 43, "a base64url SHA-256")
            #expect(query["redirect_uri"] == "http://127.0.0.1:8080/api/auth/github/callback")
            #expect((query["state"]?.count ?? 0) >= 43)

            let back = try await browser.consent(authorize, as: "octo")
            let done = try await browser.get(Browser.local(back))
            #expect(done.status == .found)
            #expect(done.location == "/settings")
            let session = try #require(done.setCookies.first { $0.hasPrefix("porter_session=") })
            #expect(session.contains("HttpOnly"))
            #expect(session.contains("SameSite=Lax"))
            #expect(session.contains("Path=/"))
            #expect(!session.contains("Secure"), "plain HTTP: a Secure cookie would never come back")

            let me = try await browser.get("/api/me").json()
            #expect(me["login"] as? String == "octo")
            let userID = try #require(me["id"] as? Int)
            let rows = try await world.database.query(
                "SELECT login, last_sign_in_at IS NOT NULL FROM users WHERE id = \(Int64(userID))"
            ).collect()
            let (login, signedIn) = try #require(try rows.first?.decode((String, Bool).self))
            #expect(login == "octo" && signedIn)
        }
    }

    @Test func theGitHubTokenIsStoredSealedAndTheSessionIdOnlyAsAnHMAC() async throws {
        try await WebWorld.run { world in
            let browser = try await world.signedIn()
            let sessionID = try #require(browser.cookies["porter_session"])
            let userID = Int64(world.github.addUser("octo"))
            let accounts = PostgresAccountStore(
                client: world.database, keyring: world.config.encryptionKeys, logger: TestDatabase.logger)
            let token = try #require(try await accounts.token(userID: userID)).accessToken.value
            #expect(token.count >= 20)
            let tokens = try await world.database.query(
                "SELECT sealed_access_token FROM oauth_tokens"
            ).collect()
            let sealed = try #require(try tokens.first?.decode(ByteBuffer.self))
            #expect(!String(buffer: sealed).contains(token))
            let sessions = try await world.database.query("SELECT id_hash, csrf_token FROM sessions").collect()
            let (hash, csrf) = try #require(try sessions.first?.decode((ByteBuffer, String).self))
            #expect(hash.readableBytes == 32)
            #expect(!String(buffer: hash).contains(sessionID))
            #expect(csrf != sessionID)
        }
    }

    @Test func aForgedStateIsRefusedAndSignsNobodyIn() async throws {
        try await WebWorld.run { world in
            let browser = world.browser()
            _ = try await browser.beginSignIn()
            let page = try await browser.get("/api/auth/github/callback?code=abc&state=forged-state-value")
            #expect(page.status == .found)
            #expect(page.location == "/auth?error=state_invalid")
            #expect(browser.cookies["porter_session"] == nil)
            #expect(try await browser.get("/api/me").status == .unauthorized)
        }
    }

    @Test func aStateIsGoodOnceSoAReplayedCallbackIsRefused() async throws {
        try await WebWorld.run { world in
            let browser = world.browser()
            let back = try await browser.consent(browser.beginSignIn(), as: "octo")
            let binding = browser.cookies["porter_sign_in"]
            #expect(try await browser.get(Browser.local(back)).location == "/settings")
            // The same callback, with the same binding cookie, a second time.
            let replay = world.browser()
            replay.setCookie("porter_sign_in", binding)
            let page = try await replay.get(Browser.local(back))
            #expect(page.location == "/auth?error=state_invalid")
            #expect(replay.cookies["porter_session"] == nil)
        }
    }

    @Test func aCallbackOpenedInAnotherBrowserIsRefused() async throws {
        try await WebWorld.run { world in
            let victim = world.browser()
            let back = try await victim.consent(victim.beginSignIn(), as: "octo")
            // An attacker hands their callback link to someone else (login CSRF): no binding cookie.
            let other = world.browser()
            #expect(try await other.get(Browser.local(back)).location == "/auth?error=state_invalid")
            // And a binding cookie of another sign-in does not fit this state either.
            let third = world.browser()
            _ = try await third.beginSignIn()
            #expect(try await third.get(Browser.local(back)).location == "/auth?error=state_invalid")
            #expect(other.cookies["porter_session"] == nil && third.cookies["porter_session"] == nil)
        }
    }

    @Test func someoneWhoDeniesAccessAtGitHubSeesWhyOnTheSignInPage() async throws {
        try await WebWorld.run { world in
            let browser = world.browser()
            let authorize = try await browser.beginSignIn()
            let state = try #require(authorize.queryItems?.first { $0.name == "state" }?.value)
            let page = try await browser.get(
                "/api/auth/github/callback?error=access_denied&error_description=denied&state=\(state)")
            #expect(page.location == "/auth?error=access_denied")
            let signIn = try await browser.get("/auth?error=access_denied")
            #expect(signIn.status == .ok)
            #expect(signIn.body.contains("GitHub sign-in was cancelled"))
            #expect(browser.cookies["porter_session"] == nil)
        }
    }

    @Test func aSessionIdKeptAfterSignOutOpensNothing() async throws {
        try await WebWorld.run { world in
            let browser = try await world.signedIn()
            let stolen = try #require(browser.cookies["porter_session"])
            let out = try await browser.post("/api/auth/logout", form: [:])
            #expect(out.status == .seeOther)
            #expect(out.location == "/auth?error=signed_out")
            #expect(browser.cookies["porter_session"] == nil)

            let thief = world.browser()
            thief.setCookie("porter_session", stolen)
            #expect(try await thief.get("/api/me").status == .unauthorized)
            let page = try await thief.get("/settings")
            #expect(page.status == .found)
            #expect(page.location?.hasPrefix("/auth?next=") == true)
            let tokens = try await world.database.query("SELECT count(*) FROM oauth_tokens").collect()
            #expect(try tokens.first?.decode(Int.self) == 0, "sign-out forgets the GitHub token")
        }
    }

    @Test func signingInAgainRotatesTheSessionId() async throws {
        try await WebWorld.run { world in
            let browser = try await world.signedIn()
            let first = try #require(browser.cookies["porter_session"])
            try await browser.signIn(as: "octo")
            let second = try #require(browser.cookies["porter_session"])
            #expect(first != second)
            let old = world.browser()
            old.setCookie("porter_session", first)
            #expect(try await old.get("/api/me").status == .unauthorized)
            #expect(try await browser.get("/api/me").status == .ok)
        }
    }

    @Test func aSessionCookieMintedUnderAnotherSecretOpensNothing() async throws {
        try await WebWorld.run { world in
            _ = try await world.signedIn()
            let other = SessionSettings(secret: Secret(String(repeating: "x", count: 48)), secureCookies: false)
            let foreign = try await PostgresSessionStore(
                client: world.database, settings: other, logger: TestDatabase.logger
            ).create(userID: Int64(world.github.addUser("octo")))
            let browser = world.browser()
            browser.setCookie("porter_session", foreign)
            #expect(try await browser.get("/api/me").status == .unauthorized)
        }
    }

    @Test func aSessionUnusedPastTheIdleTimeoutEnds() async throws {
        try await WebWorld.run { world in
            let browser = try await world.signedIn()
            try await world.database.query("UPDATE sessions SET last_seen_at = now() - interval '4 days'")
            #expect(try await browser.get("/api/me").status == .unauthorized)
        }
    }

    @Test func aStateChangeWithoutTheCSRFTokenIsRefused() async throws {
        try await WebWorld.run { world in
            let browser = try await world.signedIn()
            let json = try await browser.send(.put, "/api/config", json: #"{"defaultAgent":"codex"}"#, csrf: false)
            #expect(json.status == .forbidden)
            #expect(try json.json()["error"] as? String == "csrf_failed")
            let form = try await browser.post("/settings/defaults", form: ["agent": "codex"], csrf: false)
            #expect(form.status == .forbidden)
            let wrong = try await browser.request(
                .put, "/api/config",
                headers: [.contentType: "application/json", HTTPField.Name("X-CSRF-Token")!: "not-the-token"],
                body: #"{"defaultAgent":"codex"}"#)
            #expect(wrong.status == .forbidden)
            #expect(try await browser.get("/api/config").json()["defaultAgent"] == nil, "nothing was saved")
            let crossSite = try await browser.request(
                .put, "/api/config",
                headers: [
                    .contentType: "application/json", .origin: "https://evil.example",
                    HTTPField.Name("X-CSRF-Token")!: try await browser.csrfToken(),
                ], body: #"{"defaultAgent":"codex"}"#)
            #expect(crossSite.status == .forbidden)
            let good = try await browser.send(.put, "/api/config", json: #"{"defaultAgent":"codex"}"#)
            #expect(good.status == .ok)
            #expect(try good.json()["defaultAgent"] as? String == "codex")
        }
    }

    @Test func aReturnPathFromAnotherSiteIsIgnored() {
        #expect(AuthController.safeReturn("/settings#keys") == "/settings#keys")
        #expect(AuthController.safeReturn("//evil.example/x") == nil)
        #expect(AuthController.safeReturn("/\\evil.example") == nil)
        #expect(AuthController.safeReturn("https://evil.example") == nil)
        #expect(AuthController.safeReturn("/api/auth/logout") == nil)
    }

    @Test func signedOutPagesAndAPIAnswerAsTheyShould() async throws {
        try await WebWorld.run { world in
            let browser = world.browser()
            let api = try await browser.get("/api/config")
            #expect(api.status == .unauthorized)
            #expect(try api.json()["error"] as? String == "unauthorized")
            #expect(try await browser.get("/api/startup/check").status == .unauthorized)
            #expect(try await browser.get("/api/auth/diagnostics").status == .unauthorized)
            let missing = try await browser.get("/api/nothing-here")
            #expect(missing.status == .notFound)
            #expect(try missing.json()["error"] as? String == "not_found")
            let auth = try await browser.get("/auth")
            #expect(auth.status == .ok)
            #expect(auth.headers[.contentSecurityPolicy]?.contains("default-src 'self'") == true)
            #expect(auth.body.contains("Sign in with GitHub"))
            #expect(try await browser.get("/").location == "/auth")
        }
    }
}

/// The user's GitHub token renewed behind their back, and the sign-in asked for again when it cannot be.
@Suite(.timeLimit(.minutes(3))) struct WebUserTokenTests {
    @Test func aTokenGitHubExpiredIsRefreshedOnceAndTheCallGoesThrough() async throws {
        try await WebWorld.run { world in
            let browser = try await world.signedIn()
            world.github.expireUserTokens(of: "octo")
            let limit = try await browser.get("/api/rate-limit")
            #expect(limit.status == .ok)
            #expect(try limit.json()["limit"] as? Int == 5000)
            #expect(world.github.oauthTokenRefreshes == 1)
            // The renewed pair was stored: the next call needs no refresh.
            #expect(try await browser.get("/api/github/installations").status == .ok)
            #expect(world.github.oauthTokenRefreshes == 1)
        }
    }

    @Test func whenGitHubRenewsNothingTheUserIsAskedToSignInAgain() async throws {
        try await WebWorld.run { world in
            let browser = try await world.signedIn()
            world.github.expireUserTokens(of: "octo", includingRefreshTokens: true)
            let answer = try await browser.get("/api/github/installations")
            #expect(answer.status == .unauthorized)
            #expect(try answer.json()["error"] as? String == "github_reauth_required")
            let diagnostics = try await browser.get("/api/auth/diagnostics").json()
            #expect(diagnostics["nextAction"] as? String == "sign_in_again")
            let settings = try await browser.get("/settings")
            #expect(settings.status == .ok, "settings still open, saying what to do")
            #expect(settings.body.contains("Sign out and sign in again"))
        }
    }

    @Test func signingOutRevokesTheTokenAtGitHub() async throws {
        try await WebWorld.run { world in
            let browser = try await world.signedIn()
            let accounts = PostgresAccountStore(
                client: world.database, keyring: world.config.encryptionKeys, logger: TestDatabase.logger)
            let token = try #require(try await accounts.token(userID: Int64(world.github.addUser("octo"))))
            #expect(world.github.isLiveUserToken(token.accessToken.value))
            _ = try await browser.send(.post, "/api/auth/logout", json: "{}")
            #expect(!world.github.isLiveUserToken(token.accessToken.value))
        }
    }
}
