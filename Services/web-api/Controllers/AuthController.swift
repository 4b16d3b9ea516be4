import Foundation
import HTTPTypes
import Hummingbird
import Logging
import PorterKit

/// Sign-in with GitHub (the App's user authorization flow with PKCE), sign-out, and the App's
/// Setup URL.
struct AuthController {
    let pages: Pages
    let sessions: PostgresSessionStore
    let signIns: PostgresSignInStore
    let accounts: PostgresAccountStore
    let queue: PostgresJobQueue
    let settings: SessionSettings
    let github: GitHubClient
    let oauth: GitHubOAuthCredentials
    let publicURL: URL
    let logger: Logger

    var callbackURL: String { publicURL.appendingPathComponent("api/auth/github/callback").absoluteString }

    func add(to router: Router<WebContext>) {
        router.get("/auth", use: signInPage)
        router.get("/api/auth/github", use: begin)
        router.get("/api/auth/github/callback", use: callback)
        router.get("/api/auth/github/installed") { _, _ in Response.redirect(to: "/settings?installed=1", type: .found)
        }
        router.post("/api/auth/logout", use: signOut)
    }

    /// Messages for the `error` a sign-in came back with.
    static let problems: [String: String] = [
        "access_denied": "GitHub sign-in was cancelled. Porter needs it to know who you are.",
        "state_invalid": "That sign-in link expired or was opened in another browser. Start again.",
        "exchange_failed": "GitHub did not confirm the sign-in. Start again.",
        "github_unreachable": "GitHub could not be reached. Try again in a moment.",
        "signed_out": "You are signed out.",
    ]

    func signInPage(_ request: Request, context: WebContext) async throws -> Response {
        let query = request.uri.queryParameters
        let next = Self.safeReturn(query.get("next"))
        if context.user != nil { return .redirect(to: next ?? "/settings", type: .found) }
        struct View {
            var page: Chrome
            var problem: String?
            var notice: String?
            var startURL: String
        }
        let code = query.get("error")
        var start = "/api/auth/github"
        if let next, let encoded = next.addingPercentEncoding(withAllowedCharacters: .alphanumerics) {
            start += "?next=" + encoded
        }
        return pages.render(
            "auth",
            View(
                page: Chrome(title: "Sign in", user: nil, section: nil),
                problem: code.flatMap {
                    $0 == "signed_out" ? nil : Self.problems[$0] ?? Self.problems["exchange_failed"]
                },
                notice: code == "signed_out" ? Self.problems["signed_out"] : nil, startURL: start))
    }

    func begin(_ request: Request, context: WebContext) async throws -> Response {
        let query = request.uri.queryParameters
        let pending = try await signIns.begin(returnTo: Self.safeReturn(query.get("next")))
        var components = URLComponents(
            url: github.endpoints.webURL.appendingPathComponent("login/oauth/authorize"), resolvingAgainstBaseURL: false
        )!
        let challenge = PKCE.challenge(for: pending.codeVerifier)
        components.queryItems =
            [
                URLQueryItem(name: "client_id", value: oauth.clientID),
                URLQueryItem(name: "redirect_uri", value: callbackURL),
                URLQueryItem(name: "state", value: pending.state),
                URLQueryItem(name: "code_challenge", value: challenge),
                URLQueryItem(name: "code_challenge_method", value: "S256"),
            ] + (query.get("force") == "1" ? [URLQueryItem(name: "prompt", value: "select_account")] : [])
        var response = Response.redirect(to: components.string!, type: .found)
        response.headers[values: .setCookie].append(
            settings.cookie(settings.signInCookie, value: pending.binding, maxAge: PostgresSignInStore.lifetime))
        return response
    }

    func callback(_ request: Request, context: WebContext) async throws -> Response {
        let query = request.uri.queryParameters
        let binding = request.cookies[settings.signInCookie]?.value
        guard let state = query.get("state"), let taken = try await signIns.finish(state: state, binding: binding)
        else {
            logger.notice("sign-in refused: state unknown, used, expired or from another browser")
            return failed("state_invalid")
        }
        if let error = query.get("error") {
            logger.info("sign-in declined at GitHub", metadata: ["oauth_error": "\(error)"])
            return failed(error == "access_denied" ? "access_denied" : "exchange_failed")
        }
        guard let code = query.get("code") else { return failed("exchange_failed") }
        let token: GitHubOAuthToken
        let profile: GitHubProfile
        do {
            token = try await github.exchangeOAuthCode(
                code, clientID: oauth.clientID, clientSecret: oauth.clientSecret, redirectURI: callbackURL,
                codeVerifier: taken.codeVerifier)
            profile = try await github.authenticatedUser(token: token.accessToken)
        } catch GitHubError.oauth(let reason) {
            logger.notice("sign-in code refused by GitHub", metadata: ["oauth_error": "\(reason)"])
            return failed("exchange_failed")
        } catch {
            logger.warning("sign-in failed reaching GitHub", metadata: ["error": "\(String(reflecting: error))"])
            return failed("github_unreachable")
        }
        let user = UserProfile(
            id: Int64(profile.id), login: profile.login, name: profile.name, avatarURL: profile.avatarUrl)
        try await accounts.signIn(user, token: UserToken(token))
        // A new id at every sign-in: an id planted in this browser before sign-in opens nothing after.
        if let previous = context.sessionID { try await sessions.revoke(sessionID: previous) }
        let sessionID = try await sessions.create(userID: user.id)
        // A task that waited for this person to sign in is looked at again now.
        try await queue.wakeRequester(user.id)
        logger.info("signed in", metadata: ["user_id": "\(user.id)", "login": "\(user.login)"])
        var response = Response.redirect(to: taken.returnTo ?? "/settings", type: .found)
        response.headers[values: .setCookie].append(contentsOf: [
            settings.cookie(settings.sessionCookie, value: sessionID, maxAge: settings.lifetime),
            settings.expiredCookie(settings.signInCookie),
        ])
        return response
    }

    func failed(_ code: String) -> Response {
        var response = Response.redirect(to: "/auth?error=\(code)", type: .found)
        response.headers[values: .setCookie].append(settings.expiredCookie(settings.signInCookie))
        return response
    }

    func signOut(_ request: Request, context: WebContext) async throws -> Response {
        if let id = context.sessionID { try await sessions.revoke(sessionID: id) }
        if let user = context.user {
            // Porter stops acting as this person: their GitHub token is forgotten with the session, and
            // GitHub is asked to revoke it (a failure there changes nothing here).
            if let token = try? await accounts.token(userID: user.id) {
                _ = try? await github.revokeOAuthToken(
                    token.accessToken.value, clientID: oauth.clientID, clientSecret: oauth.clientSecret)
            }
            try await accounts.forgetToken(userID: user.id)
            logger.info("signed out", metadata: ["user_id": "\(user.id)"])
        }
        let fromForm = request.headers[.contentType]?.hasPrefix("application/x-www-form-urlencoded") == true
        var response =
            fromForm
            ? Response.redirect(to: "/auth?error=signed_out", type: .normal)
            : JSONAnswer.make(["signedOut": true])
        response.headers[values: .setCookie].append(settings.expiredCookie(settings.sessionCookie))
        return response
    }

    /// A path on this site to go back to after sign-in; anything else (another host, `//evil`) is dropped.
    static func safeReturn(_ value: String?) -> String? {
        guard let value, value.hasPrefix("/"), !value.hasPrefix("//"), !value.hasPrefix("/\\"),
            !value.hasPrefix("/api/auth")
        else { return nil }
        return value
    }
}
