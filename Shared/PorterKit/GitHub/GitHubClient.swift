import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// Porter's GitHub client: the REST API as the App (JWT), as an installation (cached tokens) or as a
/// user (OAuth token), plus the OAuth code exchange on the web host. GitHub Enterprise Server works
/// by pointing `endpoints` at it.
public struct GitHubClient: Sendable {
    /// Who a call is made as.
    public enum Credential: Sendable {
        case app
        case installation(Int)
        case user(token: String)
    }

    public let endpoints: GitHubEndpoints
    let api: APIClient
    let web: APIClient
    let jwt: GitHubAppJWT?
    let tokens = InstallationTokenCache()
    let limits: GitHubRateLimits
    let mutations = MutationGate()
    /// Mutating calls per installation go one at a time, this long after the previous answer:
    /// GitHub asks for serial mutations at least a second apart.
    public var mutationSpacing: Duration = .seconds(1)
    /// How many times one call waits out a rate limit before giving up.
    public var rateLimitRetries = 6
    /// The longest a call waits for a rate limit to lift before it fails instead.
    public var maxRateLimitWait: Duration = .seconds(15 * 60)
    let logger: Logger

    public init(
        endpoints: GitHubEndpoints = GitHubEndpoints(), app: GitHubAppCredentials?, userAgent: String = "porter",
        httpClient: HTTPClient = .shared, retry: RetryPolicy = RetryPolicy(), metrics: ServiceMetrics? = nil,
        logger: Logger
    ) {
        var headers = HTTPHeaders()
        headers.add(name: "Accept", value: "application/vnd.github+json")
        headers.add(name: "X-GitHub-Api-Version", value: "2022-11-28")
        headers.add(name: "User-Agent", value: userAgent)
        self.endpoints = endpoints
        self.api = APIClient(
            api: "github", baseURL: Self.trimmed(endpoints.apiURL), defaultHeaders: headers, retry: retry,
            httpClient: httpClient, metrics: metrics, logger: logger)
        var webHeaders = HTTPHeaders()
        webHeaders.add(name: "Accept", value: "application/json")
        webHeaders.add(name: "User-Agent", value: userAgent)
        self.web = APIClient(
            api: "github", baseURL: Self.trimmed(endpoints.webURL), defaultHeaders: webHeaders, retry: retry,
            httpClient: httpClient, metrics: metrics, logger: logger)
        self.jwt = app.map(GitHubAppJWT.init(credentials:))
        self.limits = GitHubRateLimits(metrics: metrics)
        self.logger = logger
    }

    static func trimmed(_ url: URL) -> URL {
        let text = url.absoluteString
        return text.hasSuffix("/") ? URL(string: String(text.dropLast()))! : url
    }

    /// A fresh App JWT, for calls under `/app`.
    public func appJWT() async throws -> String {
        guard let jwt else { throw GitHubError.noAppCredentials }
        return try await jwt.token()
    }

    /// Sends `request` as `credential`: waits out rate limits, spaces mutating calls per installation,
    /// and retries once with a fresh installation token when GitHub refuses a cached one.
    public func send(_ request: APIRequest, as credential: Credential) async throws -> APIResponse {
        guard case .installation(let id) = credential else {
            return try await sendLimited(request, credential: credential, bearer: try await bearer(for: credential))
        }
        let stale = try await installationToken(id)
        do {
            return try await sendLimited(request, credential: credential, bearer: stale.token)
        } catch let error as APIError where error.statusCode == 401 {
            await tokens.invalidate(id, token: stale.token)
            logger.info("installation token refused, refreshing", metadata: ["installation_id": "\(id)"])
            return try await sendLimited(request, credential: credential, bearer: try await installationToken(id).token)
        }
    }

    func bearer(for credential: Credential) async throws -> String {
        switch credential {
        case .app: try await appJWT()
        case .installation(let id): try await installationToken(id).token
        case .user(let token): token
        }
    }
}

/// Failures specific to GitHub, beyond `APIError`.
public enum GitHubError: Error, Sendable, Equatable, CustomStringConvertible {
    case noAppCredentials
    /// A code exchange or token refresh was refused: GitHub's error code, such as `bad_verification_code`
    /// (GitHub answers these with 200 and an error field).
    case oauth(String)
    /// File contents came back in a form other than a base64 file.
    case notAFile(path: String)
    /// The file is over the contents API's 1 MB: GitHub answers `encoding: none` and no content.
    case fileTooLarge(path: String)
    /// A GraphQL call answered with errors (GitHub sends those with 200): the first one's type, such
    /// as `NOT_FOUND` or `FORBIDDEN`, and message.
    case graphQL(type: String?, message: String)
    /// `GET /app` described the App without its slug, so its bot's login is unknown.
    case appWithoutSlug
    /// GitHub carried out a create (it answered 2xx) but its answer could not be read, and what it made
    /// was not found yet either. Transient: looking again finds it, where creating again would make a
    /// second one.
    case createdButUnread(operation: String)

    public var description: String {
        switch self {
        case .noAppCredentials: "no GitHub App credentials are configured"
        case .oauth(let error): "GitHub refused the OAuth token request: \(error)"
        case .notAFile(let path): "`\(path)` in the repository is not a file"
        case .fileTooLarge(let path): "`\(path)` is larger than the 1 MB GitHub serves through its contents API"
        case .graphQL(_, let message): "GitHub's GraphQL API refused: \(message)"
        case .appWithoutSlug: "GitHub described the App without its slug"
        case .createdButUnread(let operation):
            "GitHub carried out \(operation) but its answer could not be read; what it made is looked for again"
        }
    }
}
