import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

/// An in-memory GitHub: the REST endpoints Porter calls, App and OAuth authentication, webhook
/// delivery and git over smart HTTP, with GitHub's JSON shapes and status codes. Tests seed and
/// inspect it through its Swift API; `FaultInjector` and an optional enforced mutation limit make it misbehave.
public final class GitHubEmulator: Sendable {
    public let app: EmulatedGitHubApp
    public let faults = FaultInjector()
    let state = Mutex(GitHubEmulatorState())
    let git: GitRepositoryStore
    let base = Mutex("http://127.0.0.1")
    let webhookTarget: Mutex<(url: String, secret: String)?>
    let httpClient: HTTPClient
    let rateLimits = GitHubRateLimitLedger()
    /// How long a token lives, as on GitHub.
    let tokenLifetime: TimeInterval = 3600

    public init(
        app: EmulatedGitHubApp, webhookURL: String? = nil, webhookSecret: String? = nil,
        httpClient: HTTPClient = .shared
    ) throws {
        self.app = app
        self.git = try GitRepositoryStore()
        self.httpClient = httpClient
        self.webhookTarget = Mutex(webhookURL.map { ($0, webhookSecret ?? "") })
    }

    /// Where the emulator is reached, for the URLs in its answers and payloads.
    public var baseURL: String {
        get { base.withLock { $0 } }
        set { base.withLock { $0 = newValue } }
    }

    /// Sends webhooks to `url`, signed with `secret`; nil stops delivery.
    public func configureWebhooks(url: String?, secret: String = "") {
        webhookTarget.withLock { $0 = url.map { ($0, secret) } }
    }

    /// Answer mutating calls with a secondary rate limit when one installation makes them faster than 1/s.
    public var enforcesMutationLimit: Bool {
        get { state.withLock { $0.enforceMutationLimit } }
        set { state.withLock { $0.enforceMutationLimit = newValue } }
    }

    var json: GitHubJSON { GitHubJSON(api: baseURL) }

    /// The router serving everything: REST, OAuth, git, and the fault-control and seeding routes.
    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: FaultMiddleware(faults))
        router.add(middleware: GitHubRateLimitHeaders(emulator: self))
        faults.addControlRoutes(to: router)
        addSeedRoutes(to: router)
        addPullSeedRoutes(to: router)
        addReviewSeedRoutes(to: router)
        addOAuthSeedRoutes(to: router)
        addAppRoutes(to: router)
        addHookDeliveryRoutes(to: router)
        addIssueRoutes(to: router)
        addRepositoryIssueRoutes(to: router)
        addRepositoryRoutes(to: router)
        addPullRoutes(to: router)
        addReviewRoutes(to: router)
        addCheckRoutes(to: router)
        addRefRoutes(to: router)
        addGraphQLRoutes(to: router)
        addUserRoutes(to: router)
        addOAuthRoutes(to: router)
        addOAuthApplicationRoutes(to: router)
        addRateLimitRoutes(to: router)
        addGitRoutes(to: router)
        addPageRoutes(to: router)
        return router
    }
}
