import ArgumentParser
import Hummingbird
import PorterKit

@main
struct App: AsyncParsableCommand {
    static let configuration = ServiceCommand.configuration(for: WebAPIService.self)
}

enum WebAPIService: PorterService {
    static let name = "web-api"
    static let abstract = "Serves the web UI and the JSON API."

    static func buildApplication(
        config: WebAPIConfig, dependencies: ServiceDependencies
    ) async throws -> some ApplicationProtocol {
        try await WebAPI.buildApplication(config: config, dependencies: dependencies)
    }
}
