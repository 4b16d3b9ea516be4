import Hummingbird
import HummingbirdTesting
import Logging
import PorterKit
import PorterTestSupport
import Testing

@testable import CallbackReceiver
@testable import Dispatcher
@testable import Watchdog
@testable import WebAPI
@testable import WebhookGateway

/// Every service, built exactly as its binary builds it, answers the operational endpoints.
@Suite struct OperationalEndpointTests {
    @Test(arguments: ServiceEnvironment.services)
    func healthReadinessAndMetricsOnACurrentSchema(service: String) async throws {
        try await TestDatabase.withDatabase { url in
            try await withApplication(service, database: url) { client in
                try await client.execute(uri: "/healthz", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(String(buffer: response.body).contains(#""status":"ok""#))
                }
                try await client.execute(uri: "/readyz", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(String(buffer: response.body).contains("schema is current"))
                }
                try await client.execute(uri: "/metrics", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
                    let text = String(buffer: response.body)
                    #expect(text.contains("process_resident_memory_bytes"))
                    let prefix = "porter_\(service.replacingOccurrences(of: "-", with: "_"))_http_requests_total"
                    #expect(text.contains(#"\#(prefix){route="/readyz",method="GET",status="200"} 1"#))
                    #expect(text.contains(#"\#(prefix){route="/healthz",method="GET",status="200"} 1"#))
                }
            }
        }
    }

    @Test(arguments: ServiceEnvironment.services)
    func notReadyWithAReasonWhenTheSchemaIsBehind(service: String) async throws {
        try await TestDatabase.withDatabase(migrated: false) { url in
            try await withApplication(service, database: url) { client in
                try await client.execute(uri: "/readyz", method: .get) { response in
                    #expect(response.status == .serviceUnavailable)
                    let body = String(buffer: response.body)
                    #expect(body.contains(#""status":"not_ready""#))
                    #expect(body.contains("run `migrate`"))
                }
                try await client.execute(uri: "/healthz", method: .get) { response in #expect(response.status == .ok) }
            }
        }
    }

    @Test(arguments: ServiceEnvironment.services)
    func notReadyWithAReasonWhenTheDatabaseIsUnreachable(service: String) async throws {
        // Nothing listens on this port: the database is down, the process is not.
        let url = try DatabaseURL.parse("postgres://porter@127.0.0.1:\(try ServiceProcess.freePort())/porter")
        try await withApplication(service, database: url) { client in
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                let body = String(buffer: response.body)
                #expect(body.contains(#""status":"not_ready""#))
                #expect(body.contains("database unreachable"))
            }
            try await client.execute(uri: "/healthz", method: .get) { response in #expect(response.status == .ok) }
        }
    }

    @Test func unmatchedPathsShareOneMetricsSeries() async throws {
        try await TestDatabase.withDatabase { url in
            try await withApplication("web-api", database: url) { client in
                for path in ["/a", "/b/c", "/wp-login.php"] {
                    try await client.execute(uri: path, method: .get) { #expect($0.status == .notFound) }
                }
                try await client.execute(uri: "/metrics", method: .get) { response in
                    let text = String(buffer: response.body)
                    #expect(text.contains(#"route="NotFound",method="GET",status="404"} 3"#))
                    #expect(!text.contains("wp-login"))
                }
            }
        }
    }
}

/// Builds `service` through its own `buildApplication` with `environment` (the minimal one unless
/// given) and runs `test` against it.
func withApplication(
    _ service: String, database: DatabaseURL, environment: [String: String]? = nil, testing: TestingSetup = .router,
    _ test: @escaping @Sendable (any TestClientProtocol) async throws -> Void
) async throws {
    let environment = environment ?? ServiceEnvironment.minimal(for: service, database: database)
    var logger = Logger(label: service)
    logger.logLevel = .error
    let dependencies = ServiceDependencies.make(service: service, database: database, logger: logger)
    switch service {
    case "webhook-gateway":
        let config = try WebhookGatewayConfig.load(from: environment)
        try await WebhookGateway.buildApplication(config: config, dependencies: dependencies).test(testing, test)
    case "dispatcher":
        let config = try DispatcherConfig.load(from: environment)
        try await Dispatcher.buildApplication(config: config, dependencies: dependencies).test(testing, test)
    case "callback-receiver":
        let config = try CallbackReceiverConfig.load(from: environment)
        try await CallbackReceiver.buildApplication(config: config, dependencies: dependencies).test(testing, test)
    case "watchdog":
        let config = try WatchdogConfig.load(from: environment)
        try await Watchdog.buildApplication(config: config, dependencies: dependencies).test(testing, test)
    case "web-api":
        let config = try WebAPIConfig.load(from: environment)
        try await WebAPI.buildApplication(config: config, dependencies: dependencies).test(testing, test)
    default:
        throw TestSetupError("unknown service \(service)")
    }
}
