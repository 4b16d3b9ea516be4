import Foundation
import HTTPTypes
import Hummingbird

extension GitHubEmulator {
    /// Who signs in at `/login/oauth/authorize` when the request names no `login`.
    public var authorizingUser: String? {
        get { state.withLock { $0.authorizingLogin } }
        set { state.withLock { $0.authorizingLogin = newValue } }
    }

    func addOAuthRoutes(to router: Router<BasicRequestContext>) {
        router.get("/login/oauth/authorize") { request, _ in
            let query = request.uri.queryParameters
            guard query.get("client_id") == self.app.clientID, let redirect = query.get("redirect_uri"),
                var components = URLComponents(string: redirect)
            else { throw GitHubAPIError.notFound }
            guard let login = query.get("login") ?? self.authorizingUser else {
                throw GitHubAPIError(status: .forbidden, message: "No user is signed in to the emulator")
            }
            self.addUser(login)
            let code = Self.randomToken().prefix(20).lowercased()
            self.state.withLock { $0.oauthCodes[code] = login }
            var items = components.queryItems ?? []
            items.append(URLQueryItem(name: "code", value: code))
            if let state = query.get("state") { items.append(URLQueryItem(name: "state", value: state)) }
            components.queryItems = items
            return Response(status: .found, headers: [.location: components.string ?? redirect])
        }
        router.post("/login/oauth/access_token") { request, context in
            let fields = try await Self.formOrJSON(request, context)
            let answer: [String: String]
            if fields["client_id"] != self.app.clientID || fields["client_secret"] != self.app.clientSecret {
                answer = [
                    "error": "incorrect_client_credentials",
                    "error_description": "The client_id and/or client_secret passed are incorrect.",
                ]
            } else if let code = fields["code"],
                let login = self.state.withLock({ $0.oauthCodes.removeValue(forKey: code) })
            {
                answer = ["access_token": self.userToken(for: login), "token_type": "bearer", "scope": ""]
            } else {
                answer = [
                    "error": "bad_verification_code", "error_description": "The code passed is incorrect or expired.",
                ]
            }
            // GitHub answers refusals with 200 too, and form encoding unless JSON is asked for.
            if request.headers[.accept]?.contains("json") == true { return GitHubJSONResponse.make(answer) }
            var components = URLComponents()
            components.queryItems = answer.map { URLQueryItem(name: $0.key, value: $0.value) }
            var headers = HTTPFields()
            headers[.contentType] = "application/x-www-form-urlencoded; charset=utf-8"
            return Response(
                status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: components.query ?? "")))
        }
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
