import ArgumentParser
import Hummingbird
import PorterKit

@main
struct App: AsyncParsableCommand {
    static let configuration = ServiceCommand.configuration(for: DispatcherService.self)
}

enum DispatcherService: PorterService {
    static let name = "dispatcher"
    static let abstract = "Claims queued tasks, authorizes them and starts one worker Machine per attempt."

    static func buildApplication(
        config: DispatcherConfig, dependencies: ServiceDependencies
    ) async throws -> some ApplicationProtocol {
        try await Dispatcher.buildApplication(config: config, dependencies: dependencies)
    }
}
