import Hummingbird
import PorterKit

func buildApplication(
    config: WatchdogConfig, dependencies: ServiceDependencies
) async throws -> some ApplicationProtocol {
    let router = buildRouter(config: config, dependencies: dependencies)
    return PorterApplication.make(router: router, basics: config.basics, dependencies: dependencies)
}

func buildRouter(config: WatchdogConfig, dependencies: ServiceDependencies) -> Router<BasicRequestContext> {
    PorterApplication.router(dependencies: dependencies)
}
