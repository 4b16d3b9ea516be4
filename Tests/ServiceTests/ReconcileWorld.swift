import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import PorterEmulators
import PorterKit
import PorterTestSupport
import PostgresNIO
import Synchronization
import _CryptoExtras

/// The GitHub emulator delivering signed webhooks to a live webhook-gateway on a fresh database, and a
/// GitHub client with the App's key pointed at the emulator: what the delivery reconciler works with.
struct ReconcileWorld: Sendable {
    let github: GitHubEmulator
    let client: GitHubClient
    let gateway: GatewayHarness
    let database: DatabaseURL
    let issue: Int
    let metrics = ServiceMetrics(service: "watchdog")

    /// Runs `body`; every request to the emulator goes through `around`, which calls `next` to let the
    /// emulator answer.
    static func run(
        around: @escaping Intercepting<RouterResponder<BasicRequestContext>>.Around = { _, next in try await next() },
        _ body: @escaping @Sendable (ReconcileWorld) async throws -> Void
    ) async throws {
        let publicKey = try _RSA.Signing.PrivateKey(pemRepresentation: ServiceEnvironment.appPrivateKeyPEM).publicKey
        let github = try GitHubEmulator(
            app: EmulatedGitHubApp(id: 12345, slug: "porter", publicKeyPEM: publicKey.pemRepresentation))
        _ = try await github.addRepository(owner: "acme", name: "widgets")
        _ = github.addInstallation(account: "acme")
        let issue = github.addIssue(owner: "acme", repo: "widgets", title: "Crash on start", author: "acme")
        try await TestDatabase.withClient { database, url in
            var environment = ServiceEnvironment.minimal(for: "webhook-gateway", database: url)
            environment["GITHUB_APP_SLUG"] = "porter"
            try await withApplication("webhook-gateway", database: url, environment: environment, testing: .live) {
                gatewayClient in
                let responder = Intercepting(inner: github.router().buildResponder(), around: around)
                try await Application(responder: responder).test(.live) { githubClient in
                    let base = "http://127.0.0.1:\(githubClient.port!)"
                    github.baseURL = base
                    github.configureWebhooks(
                        url: "http://127.0.0.1:\(gatewayClient.port!)/webhooks/github", secret: GatewayHarness.secret)
                    let client = GitHubClient(
                        endpoints: GitHubEndpoints(apiURL: URL(string: base)!, webURL: URL(string: base)!),
                        app: GitHubAppCredentials(
                            appID: 12345, slug: "porter", privateKeyPEM: ServiceEnvironment.appPrivateKeyPEM),
                        retry: RetryPolicy(maxAttempts: 2, baseDelay: .milliseconds(10), maxDelay: .milliseconds(50)),
                        logger: TestDatabase.logger)
                    try await body(
                        ReconcileWorld(
                            github: github, client: client,
                            gateway: GatewayHarness(client: gatewayClient, database: database), database: url,
                            issue: issue))
                }
            }
        }
    }

    /// A reconciler over this world; no pause between requests unless asked.
    func reconciler(
        _ settings: DeliveryReconcilerSettings = DeliveryReconcilerSettings(spacing: .zero)
    )
        -> DeliveryReconciler
    {
        var logger = Logger(label: "reconcile-test")
        logger.logLevel = .error
        return DeliveryReconciler(
            github: client, database: gateway.database, settings: settings, logger: logger, metrics: metrics)
    }

    /// A person comments on the issue; returns the GUID of the webhook it sent.
    @discardableResult
    func comment(_ body: String) async throws -> String {
        try await github.comment(owner: "acme", repo: "widgets", issue: issue, author: "acme", body: body)
        return github.deliveries.last!.guid
    }

    /// The emulator's redeliveries of `guid`, oldest first.
    func redeliveries(of guid: String) -> [EmulatedDelivery] {
        github.deliveries.filter { $0.guid == guid && $0.redelivery }
    }

    /// How many tasks came from the delivery `guid`.
    func tasks(from guid: String) async throws -> Int {
        try await gateway.count("tasks", where: "delivery_id = '\(guid)'")
    }

    func recorded(_ guid: String) async throws -> Bool {
        try await gateway.count("webhook_deliveries", where: "delivery_id = '\(guid)'") == 1
    }

    /// The value of `porter_watchdog_webhook_redeliveries_total{outcome=…}`, 0 when absent.
    func redeliveryCount(_ outcome: String) -> Int {
        let prefix = #"porter_watchdog_webhook_redeliveries_total{outcome="\#(outcome)"} "#
        return metrics.render().split(separator: "\n").first { $0.hasPrefix(prefix) }
            .flatMap { Int($0.dropFirst(prefix.count)) } ?? 0
    }
}

/// Hands every request to `around`: how a test acts at the moment a call reaches the emulator.
struct Intercepting<Inner: HTTPResponder>: HTTPResponder where Inner.Context == BasicRequestContext {
    typealias Around = @Sendable (Request, _ next: () async throws -> Response) async throws -> Response
    let inner: Inner
    let around: Around

    func respond(to request: Request, context: BasicRequestContext) async throws -> Response {
        try await around(request) { try await inner.respond(to: request, context: context) }
    }
}

/// A watchdog that leads while `condition` holds.
struct LeadingWhile: Leadership {
    let condition: @Sendable () -> Bool
    var isLeading: Bool { condition() }
}
