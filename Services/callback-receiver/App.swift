import ArgumentParser
import Hummingbird
import PorterKit

@main
struct App: AsyncParsableCommand {
    static let configuration = ServiceCommand.configuration(for: CallbackReceiverService.self)
}

enum CallbackReceiverService: PorterService {
    static let name = "callback-receiver"
    static let abstract = "Serves workers their task spec, records progress, finalizes tasks and opens PRs."

    static func buildApplication(
        config: CallbackReceiverConfig, dependencies: ServiceDependencies
    ) async throws -> some ApplicationProtocol {
        try await CallbackReceiver.buildApplication(config: config, dependencies: dependencies)
    }
}
