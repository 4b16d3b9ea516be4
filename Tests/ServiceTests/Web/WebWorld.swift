import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PorterEmulators
import PorterKit
import PorterTestSupport
import PostgresNIO
import Synchronization
import _CryptoExtras

@testable import WebAPI

/// web-api on a fresh database, live on a loopback port, with the GitHub and Fly emulators it talks
/// to, and every line it logs kept for the test.
struct WebWorld: Sendable {
    static let clientID = "Iv1.webtest"
    static let clientSecret = "web-test-client-secret"
    static let flyOrg = "acme-fly"
    static let flyOrgToken = "FlyV1 fm2_orgtoken_web_0123456789abcdefghij"
    static let flyAppToken = "fm2_apptoken_web_0123456789abcdefghijklmn"

    let github: GitHubEmulator
    let fly: FlyEmulator
    let web: any TestClientProtocol
    let database: PostgresClient
    /// The database web-api uses, for other services a test starts beside it.
    let databaseURL: DatabaseURL
    let config: WebAPIConfig
    let logs: LogLines
    /// acme/widgets, private, where octo may write, and the App's installation on acme.
    let repositoryID: Int
    let installationID: Int

    static func run(
        environment extra: [String: String] = [:], logLevel: Logger.Level = .trace,
        _ body: @escaping @Sendable (WebWorld) async throws -> Void
    ) async throws {
        let publicKey = try _RSA.Signing.PrivateKey(pemRepresentation: ServiceEnvironment.appPrivateKeyPEM).publicKey
        let github = try GitHubEmulator(
            app: EmulatedGitHubApp(
                id: 12345, slug: "porter", publicKeyPEM: publicKey.pemRepresentation, clientID: clientID,
                clientSecret: clientSecret))
        let repositoryID = try await github.addRepository(owner: "acme", name: "widgets")
        let installationID = github.addInstallation(account: "acme")
        github.setRole(owner: "acme", repo: "widgets", user: "octo", role: "write")
        let fly = FlyEmulator(options: .init(images: [:]))
        fly.addOrganization(flyOrg)
        fly.addApp("acme-existing", org: flyOrg)
        fly.addToken(flyOrgToken, scope: .organization(flyOrg))
        fly.addToken(flyAppToken, scope: .app("acme-existing"))
        defer { fly.shutdown() }
        try await TestDatabase.withClient { database, url in
            try await Application(router: fly.buildRouter()).test(.live) { flyClient in
                try await Application(router: github.router()).test(.live) { githubClient in
                    let githubURL = "http://127.0.0.1:\(githubClient.port!)"
                    github.baseURL = githubURL
                    var environment = ServiceEnvironment.minimal(for: "web-api", database: url)
                    environment["GITHUB_API_URL"] = githubURL
                    environment["GITHUB_URL"] = githubURL
                    environment["GITHUB_APP_SLUG"] = "porter"
                    environment["GITHUB_CLIENT_ID"] = clientID
                    environment["GITHUB_CLIENT_SECRET"] = clientSecret
                    environment["FLY_API_URL"] = "http://127.0.0.1:\(flyClient.port!)"
                    environment.merge(extra) { $1 }
                    let config = try WebAPIConfig.load(from: environment)
                    let logs = LogLines()
                    let logger = Logger(label: "web-api") { label in
                        PorterLogHandler(
                            label: label, level: logLevel, format: .text,
                            redactor: Redactor(knownSecrets: config.secretValues)
                        ) { logs.append($0) }
                    }
                    let dependencies = ServiceDependencies.make(service: "web-api", database: url, logger: logger)
                    try await WebAPI.buildApplication(config: config, dependencies: dependencies).test(.live) { web in
                        try await body(
                            WebWorld(
                                github: github, fly: fly, web: web, database: database, databaseURL: url,
                                config: config, logs: logs,
                                repositoryID: repositoryID, installationID: installationID))
                    }
                }
            }
        }
    }

    func browser() -> Browser { Browser(world: self) }

    /// A browser signed in as `login` through GitHub's consent.
    func signedIn(_ login: String = "octo") async throws -> Browser {
        let browser = browser()
        try await browser.signIn(as: login)
        return browser
    }
}

/// Every line a service logged.
final class LogLines: Sendable {
    private let lines = Mutex<[String]>([])
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
}

/// A response as a browser sees it.
struct Page: Sendable {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    var body: String

    var location: String? { headers[.location] }
    var setCookies: [String] { headers[values: .setCookie] }

    func json() throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] ?? [:]
    }
}

/// A cookie jar in front of the live web-api, following no redirects by itself.
final class Browser: Sendable {
    let world: WebWorld
    let jar = Mutex<[String: String]>([:])

    init(world: WebWorld) { self.world = world }

    var cookies: [String: String] { jar.withLock { $0 } }

    func setCookie(_ name: String, _ value: String?) { jar.withLock { $0[name] = value } }

    @discardableResult
    func request(
        _ method: HTTPRequest.Method, _ uri: String, headers extra: HTTPFields = [:], body: String? = nil
    ) async throws -> Page {
        var headers = extra
        let cookie = cookies.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "; ")
        if !cookie.isEmpty { headers[.cookie] = cookie }
        let page = try await world.web.execute(
            uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }
        ) { response in
            Page(status: response.status, headers: response.headers, body: String(buffer: response.body))
        }
        for line in page.setCookies {
            let pair = line.split(separator: ";", maxSplits: 1)[0].split(separator: "=", maxSplits: 1)
            let name = String(pair[0])
            let value = pair.count > 1 ? String(pair[1]) : ""
            setCookie(name, line.contains("Max-Age=0") || value.isEmpty ? nil : value)
        }
        return page
    }

    func get(_ uri: String) async throws -> Page { try await request(.get, uri) }

    /// A GET with more patience than the test client's fixed 20 s, for pages that are slow to build on
    /// a loaded machine (a review of hundreds of files asks the emulator for every page of them).
    func get(_ uri: String, patience: Duration) async throws -> Page {
        guard let port = world.web.port else { throw TestSetupError("web-api is not live on a port") }
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(uri)")
        let cookie = cookies.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "; ")
        if !cookie.isEmpty { request.headers.add(name: "Cookie", value: cookie) }
        let response = try await Self.patientClient.execute(
            request, timeout: .seconds(patience.components.seconds))
        let body = try await response.body.collect(upTo: 64 << 20)
        var headers = HTTPFields()
        for header in response.headers {
            if let name = HTTPField.Name(header.name) { headers.append(HTTPField(name: name, value: header.value)) }
        }
        return Page(
            status: HTTPResponse.Status(code: Int(response.status.code)), headers: headers, body: String(buffer: body))
    }

    /// Follows no redirects, as `request` does; never shut down, like `HTTPClient.shared`.
    static let patientClient = HTTPClient(
        eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: .init(redirectConfiguration: .disallow))

    /// Sends JSON with the session's CSRF token, as the pages' scripts would.
    func send(_ method: HTTPRequest.Method, _ uri: String, json: String, csrf: Bool = true) async throws -> Page {
        var headers: HTTPFields = [.contentType: "application/json"]
        if csrf { headers[HTTPField.Name("X-CSRF-Token")!] = try await csrfToken() }
        return try await request(method, uri, headers: headers, body: json)
    }

    /// Posts a form as the page would, with its hidden `_csrf` field unless told not to.
    func post(_ uri: String, form: [String: String], csrf: Bool = true) async throws -> Page {
        var fields = form
        if csrf { fields["_csrf"] = try await csrfToken() }
        var components = URLComponents()
        components.queryItems = fields.map { URLQueryItem(name: $0.key, value: $0.value) }
        let body = (components.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B")
        return try await request(
            .post, uri, headers: [.contentType: "application/x-www-form-urlencoded"], body: body)
    }

    func csrfToken() async throws -> String {
        let me = try await get("/api/me")
        return try me.json()["csrfToken"] as? String ?? ""
    }

    /// `GET /api/auth/github`: where GitHub's authorization page was sent, with the state.
    func beginSignIn() async throws -> URLComponents {
        let start = try await get("/api/auth/github")
        guard start.status == .found, let location = start.location, let url = URLComponents(string: location) else {
            throw TestSetupError("sign-in did not redirect to GitHub: \(start.status)")
        }
        return url
    }

    /// GitHub's consent, granted as `login`: the callback URL GitHub redirects back to.
    func consent(_ authorize: URLComponents, as login: String) async throws -> URLComponents {
        var url = authorize
        url.queryItems = (url.queryItems ?? []) + [URLQueryItem(name: "login", value: login)]
        var request = HTTPClientRequest(url: url.string!)
        request.method = .GET
        let client = HTTPClient(configuration: .init(redirectConfiguration: .disallow))
        defer { _ = client.shutdown() }
        let response = try await client.execute(request, timeout: .seconds(30))
        guard let location = response.headers.first(name: "Location"), let back = URLComponents(string: location) else {
            throw TestSetupError("GitHub's consent did not redirect back (\(response.status))")
        }
        return back
    }

    /// The path and query of `url`, on the web-api under test.
    static func local(_ url: URLComponents) -> String {
        url.path + (url.percentEncodedQuery.map { "?" + $0 } ?? "")
    }

    func signIn(as login: String) async throws {
        let back = try await consent(beginSignIn(), as: login)
        let done = try await get(Self.local(back))
        guard done.status == .found, done.location == "/settings" || done.location?.hasPrefix("/") == true,
            cookies[world.config.sessions.sessionCookie] != nil
        else {
            throw TestSetupError("sign-in did not finish: \(done.status) \(done.location ?? "")")
        }
    }
}
