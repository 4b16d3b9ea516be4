import Hummingbird
import PorterKit

func buildApplication(
    config: CallbackReceiverConfig, dependencies: ServiceDependencies
) async throws -> some ApplicationProtocol {
    let router = buildRouter(config: config, dependencies: dependencies)
    return PorterApplication.make(router: router, basics: config.basics, dependencies: dependencies)
}

func buildRouter(config: CallbackReceiverConfig, dependencies: ServiceDependencies) -> Router<BasicRequestContext> {
    let router = PorterApplication.router(dependencies: dependencies)
    let logger = dependencies.logger
    let secrets = PostgresUserSecretStore(client: dependencies.postgres, keyring: config.encryptionKeys, logger: logger)
    let service = CallbackService(
        repository: PostgresCallbackRepository(client: dependencies.postgres, logger: logger),
        github: GitHubClient(
            endpoints: config.github, app: config.app, metrics: dependencies.metrics, logger: logger),
        secrets: secrets,
        reaper: FlyWorkerReaper(
            fly: config.fly, secrets: secrets, grace: config.reapGrace,
            pacer: PostgresFlyPacer(client: dependencies.postgres, logger: logger), logger: logger),
        settings: CallbackSettings(
            publicURL: config.publicURL, gitURL: config.github.webURL, appSlug: config.app.slug ?? "porter",
            appID: config.app.appID, defaultKeys: config.defaultKeys.keys.mapValues(\.value),
            allowScriptAgent: config.allowScriptAgent, infraRetries: config.infraRetries),
        operatorSecrets: config.secretValues, logger: logger)
    CallbackRoutes(service: service, metrics: dependencies.metrics, logger: logger).addRoutes(to: router)
    return router
}
