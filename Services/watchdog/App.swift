import ArgumentParser
import Hummingbird
import PorterKit

@main
struct App: AsyncParsableCommand {
    static let configuration = ServiceCommand.configuration(for: WatchdogService.self)
}

enum WatchdogService: PorterService {
    static let name = "watchdog"
    static let abstract =
        "Enforces deadlines and heartbeats, reaps orphan Machines and expired leases, recovers missed deliveries."

    static func buildApplication(
        config: WatchdogConfig, dependencies: ServiceDependencies
    ) async throws -> some ApplicationProtocol {
        try await Watchdog.buildApplication(config: config, dependencies: dependencies)
    }
}
