import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import PorterEmulators
import PorterKit
import Testing

/// A bare emulator (no repositories) served live, for the sign-in flow, with `mona` signed in.
enum OAuthWorld {
    static let redirectURI = "http://localhost:8080/auth/callback"

    static func live<T: Sendable>(
        _ body: @Sendable @escaping (GitHubEmulator, GitHubClient, Browser) async throws -> T
    ) async throws -> T {
        let emulator = try GitHubEmulator(
            app: EmulatedGitHubApp(
                id: GitHubTestKeys.appID, slug: "porter", publicKeyPEM: GitHubTestKeys.app.publicKey.pemRepresentation))
        emulator.authorizingUser = "mona"
        return try await GitHubWorld(emulator: emulator, installationID: 0).live { github, port in
            try await body(emulator, github, Browser(base: "http://127.0.0.1:\(port)", emulator: emulator))
        }
    }
}

/// What a browser does on the sign-in pages: requests without following redirects.
struct Browser: Sendable {
    struct Answer: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var body: String

        /// A parameter of the redirect's query, decoded as a form decodes it (`+` is a space).
        func redirected(_ name: String) -> String? {
            guard let location = headers.first(name: "Location"), let query = location.split(separator: "?").last
            else { return nil }
            for pair in query.split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1).map {
                    $0.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
                }
                if parts.first == name { return parts.count > 1 ? parts[1] : "" }
            }
            return nil
        }

        /// The hidden fields of the page's form, unescaped.
        var hiddenFields: [String: String] {
            var fields: [String: String] = [:]
            for match in body.matches(of: #/<input type="hidden" name="(?<name>[^"]+)" value="(?<value>[^"]*)">/#) {
                fields[String(match.name)] = String(match.value).replacingOccurrences(of: "&quot;", with: "\"")
                    .replacingOccurrences(of: "&#39;", with: "'").replacingOccurrences(of: "&lt;", with: "<")
                    .replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&amp;", with: "&")
            }
            return fields
        }
    }

    static let client = HTTPClient(
        eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))

    let base: String
    let emulator: GitHubEmulator

    /// Opens the authorize URL the way a sign-in link would, for the emulated App.
    func authorize(
        state: String = "st-1", challenge: String? = nil, redirectURI: String = OAuthWorld.redirectURI,
        extra: [(String, String)] = []
    ) async throws -> Answer {
        var items = [("client_id", emulator.app.clientID), ("redirect_uri", redirectURI), ("state", state)]
        if let challenge { items += [("code_challenge", challenge), ("code_challenge_method", "S256")] }
        return try await send(.GET, "/login/oauth/authorize?" + Self.encoded(items + extra))
    }

    /// Signs in with PKCE and returns the code, checking the state comes back.
    func code(challenge: String?, login: String? = nil) async throws -> String {
        let answer = try await authorize(
            state: "st-code", challenge: challenge, extra: login.map { [("login", $0)] } ?? [])
        #expect(answer.status == 302)
        #expect(answer.redirected("state") == "st-code")
        return try #require(answer.redirected("code"))
    }

    func send(
        _ method: HTTPMethod, _ path: String, headers: HTTPHeaders = [:], form: [(String, String)]? = nil,
        json: String? = nil
    ) async throws -> Answer {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        request.headers = headers
        if let form {
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: Self.encoded(form)))
        } else if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: json))
        }
        let response = try await Self.client.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        return Answer(status: Int(response.status.code), headers: response.headers, body: String(buffer: body))
    }

    static func encoded(_ items: [(String, String)]) -> String {
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return items.map {
            "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed)!)"
        }.joined(separator: "&")
    }
}
