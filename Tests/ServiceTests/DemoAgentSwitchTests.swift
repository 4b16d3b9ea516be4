import PorterKit
import PorterTestSupport
import Testing

@testable import Dispatcher
@testable import WebAPI
@testable import WebhookGateway

/// `PORTER_DEMO_AGENT`, read by every service that decides whether the demo agent may be named or run:
/// off unless set, on with `1` or `true`, and a value that is neither stops the service naming it.
@Suite struct DemoAgentSwitchTests {
    static func environment(_ service: String, _ value: String?) throws -> [String: String] {
        var environment = ServiceEnvironment.minimal(
            for: service, database: try DatabaseURL.parse("postgres://u:p@127.0.0.1:5432/porter"))
        environment["PORTER_DEMO_AGENT"] = value
        return environment
    }

    static func demoAgent(_ service: String, _ value: String?) throws -> Bool {
        let environment = try environment(service, value)
        switch service {
        case "webhook-gateway": return try WebhookGatewayConfig.load(from: environment).demoAgent
        case "dispatcher": return try DispatcherConfig.load(from: environment).demoAgent
        default: return try WebAPIConfig.load(from: environment).demoAgent
        }
    }

    @Test(arguments: ["webhook-gateway", "dispatcher", "web-api"])
    func theDemoAgentIsOffUnlessTheOperatorTurnsItOn(service: String) throws {
        #expect(try Self.demoAgent(service, nil) == false)
        #expect(try Self.demoAgent(service, "1"))
        #expect(try Self.demoAgent(service, "true"))
        #expect(try Self.demoAgent(service, "0") == false)
        let error = try #require(throws: ConfigurationError.self) { try Self.demoAgent(service, "sometimes") }
        #expect(error.variables == ["PORTER_DEMO_AGENT"])
        #expect(error.description.contains("PORTER_DEMO_AGENT: must be true or false"))
    }
}
