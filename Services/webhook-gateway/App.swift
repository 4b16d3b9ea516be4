import ArgumentParser
import Hummingbird
import PorterKit

@main
struct App: AsyncParsableCommand {
    static let configuration = ServiceCommand.configuration(for: WebhookGatewayService.self)
}

enum WebhookGatewayService: PorterService {
    static let name = "webhook-gateway"
    static let abstract = "Verifies, deduplicates and persists GitHub webhooks, answering GitHub fast."

    static func buildApplication(
        config: WebhookGatewayConfig, dependencies: ServiceDependencies
    ) async throws -> some ApplicationProtocol {
        try await WebhookGateway.buildApplication(config: config, dependencies: dependencies)
    }
}
