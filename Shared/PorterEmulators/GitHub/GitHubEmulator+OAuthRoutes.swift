import Foundation
import HTTPTypes
import Hummingbird

/// GitHub App user authorization: `/login/oauth/authorize` (with PKCE and a consent page) and
/// `/login/oauth/access_token` (codes and refresh tokens).
extension GitHubEmulator {
    /// Who signs in at `/login/oauth/authorize` when the request names no `login`.
    public var authorizingUser: String? {
        get { state.withLock { $0.authorizingLogin } }
        set { state.withLock { $0.authorizingLogin = newValue } }
    }

    /// What the person does at `/login/oauth/authorize`; `.automatic` unless set.
    public var oauthConsent: OAuthConsent {
        get { state.withLock { $0.oauthConsent } }
        set { state.withLock { $0.oauthConsent = newValue } }
    }

    /// How long the user tokens handed out from now on live (GitHub's default is 8 hours); nil hands
    /// out tokens that never expire and no refresh token, as for an App that opted out of expiring tokens.
    public var userTokenLifetime: Duration? {
        get { state.withLock { $0.userTokenLifetime } }
        set { state.withLock { $0.userTokenLifetime = newValue } }
    }

    func addOAuthRoutes(to router: Router<BasicRequestContext>) {
        router.get("/login/oauth/authorize") { request, _ in
            var fields: [String: String] = [:]
            for (name, value) in request.uri.queryParameters { fields[String(name)] = String(value) }
            let authorize = try self.authorizeRequest(fields)
            switch self.oauthConsent {
            case .automatic:
                guard let login = authorize.login ?? self.authorizingUser else {
                    throw GitHubAPIError(status: .forbidden, message: "No user is signed in to the emulator")
                }
                return self.authorized(authorize, login: login)
            case .deny:
                return Self.denied(authorize)
            case .page:
                return GitHubOAuthPages.consent(
                    appSlug: self.app.slug, request: authorize, signedIn: authorize.login ?? self.authorizingUser)
            }
        }
        // The consent page's form.
        router.post("/login/oauth/authorize") { request, context in
            let fields = try await Self.formOrJSON(request, context)
            let authorize = try self.authorizeRequest(fields)
            guard fields["decision"] == "authorize" else { return Self.denied(authorize) }
            guard let login = authorize.login ?? self.authorizingUser else {
                throw OAuthPageError(
                    status: .unprocessableContent, title: "Sign in", message: "Enter the login to sign in as.")
            }
            return self.authorized(authorize, login: login)
        }
        router.post("/login/oauth/access_token") { request, context in
            let fields = try await Self.formOrJSON(request, context)
            let answer: [String: Any]
            do throws(OAuthRefusal) {
                answer = try self.grantToken(fields).fields
            } catch {
                answer = error.fields
            }
            // GitHub answers refusals with 200 too, and form encoding unless JSON is asked for.
            if request.headers[.accept]?.contains("json") == true { return GitHubJSONResponse.make(answer) }
            var headers = HTTPFields()
            headers[.contentType] = "application/x-www-form-urlencoded; charset=utf-8"
            let text = Self.formEncoded(answer.sorted { $0.key < $1.key }.map { ($0.key, "\($0.value)") })
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
        }
    }

    func authorizeRequest(_ fields: [String: String]) throws(OAuthPageError) -> OAuthAuthorizeRequest {
        guard fields["client_id"] == app.clientID else { throw .notFound }
        guard let redirect = fields["redirect_uri"], let url = URLComponents(string: redirect), url.scheme != nil,
            url.host != nil
        else {
            throw OAuthPageError(
                status: .badRequest, title: "Redirect URI required", message: "The request names no valid redirect_uri."
            )
        }
        let challenge = fields["code_challenge"].flatMap { $0.isEmpty ? nil : $0 }
        if challenge != nil, fields["code_challenge_method"] != "S256" {
            throw OAuthPageError(
                status: .badRequest, title: "Unsupported code challenge",
                message: "code_challenge_method must be S256.")
        }
        let login = fields["login"].map { $0.trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : $0 }
        return OAuthAuthorizeRequest(
            redirectURI: redirect, state: fields["state"], codeChallenge: challenge, login: login, fields: fields)
    }

    func authorized(_ request: OAuthAuthorizeRequest, login: String) -> Response {
        addUser(login)
        let code = issueCode(login: login, redirectURI: request.redirectURI, codeChallenge: request.codeChallenge)
        return Self.redirect(request.redirectURI, [("code", code)] + (request.state.map { [("state", $0)] } ?? []))
    }

    /// Where Cancel leads, in GitHub's words.
    static func denied(_ request: OAuthAuthorizeRequest) -> Response {
        let items = [
            ("error", "access_denied"), ("error_description", "The user has denied your application access."),
            (
                "error_uri",
                "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/#access-denied"
            ),
        ]
        return redirect(request.redirectURI, items + (request.state.map { [("state", $0)] } ?? []))
    }

    /// A 302 to `uri` with `items` added to its query, before any fragment.
    static func redirect(_ uri: String, _ items: [(String, String)]) -> Response {
        let parts = uri.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
        let base = String(parts[0])
        var location = base + (base.contains("?") ? "&" : "?") + formEncoded(items)
        if parts.count > 1 { location += "#" + parts[1] }
        return Response(status: .found, headers: [.location: location])
    }

    /// `application/x-www-form-urlencoded`, as GitHub writes redirect queries and token answers: spaces as `+`.
    static func formEncoded(_ items: [(String, String)]) -> String {
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._* ")
        let encode = { (text: String) in
            text.addingPercentEncoding(withAllowedCharacters: allowed)!.replacingOccurrences(of: " ", with: "+")
        }
        return items.map { "\(encode($0.0))=\(encode($0.1))" }.joined(separator: "&")
    }

    static func formOrJSON(_ request: Request, _ context: BasicRequestContext) async throws -> [String: String] {
        if request.headers[.contentType]?.contains("json") == true {
            return try await request.jsonObject(context: context).compactMapValues { $0 as? String }
        }
        let text = String(buffer: try await request.body.collect(upTo: 1 << 20))
        var components = URLComponents()
        components.percentEncodedQuery = text.replacingOccurrences(of: "+", with: "%20")
        var fields: [String: String] = [:]
        for item in components.queryItems ?? [] { fields[item.name] = item.value ?? "" }
        for (name, value) in request.uri.queryParameters { fields[String(name)] = String(value) }
        return fields
    }
}
