import Foundation
import Hummingbird
import PorterKit

func buildApplication(
    config: DispatcherConfig, dependencies: ServiceDependencies
) async throws
    -> some ApplicationProtocol
{
    let router = buildRouter(config: config, dependencies: dependencies)
    return PorterApplication.make(
        router: router, basics: config.basics, dependencies: dependencies,
        workers: [sideEffectDeliverer(config: config, dependencies: dependencies)])
}

func buildRouter(config: DispatcherConfig, dependencies: ServiceDependencies) -> Router<BasicRequestContext> {
    PorterApplication.router(dependencies: dependencies)
}

/// Posts the replies and other GitHub side effects the other services queue.
func sideEffectDeliverer(config: DispatcherConfig, dependencies: ServiceDependencies) -> SideEffectDeliverer {
    let github = GitHubClient(
        endpoints: config.github, app: config.app, metrics: dependencies.metrics, logger: dependencies.logger)
    return SideEffectDeliverer(
        queue: PostgresSideEffectQueue(client: dependencies.postgres, logger: dependencies.logger),
        github: github,
        wakeups: JobWakeups(
            client: dependencies.postgres, channel: SideEffectDeliverer.channel, logger: dependencies.logger),
        owner: "dispatcher-\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)",
        logger: dependencies.logger)
}
