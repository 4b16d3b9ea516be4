import Foundation
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
    addCallbackRoutes(to: router, config: config, dependencies: dependencies)
    return router
}

/// What callback-receiver is built with that no operator sets: production takes the defaults; tests
/// add the routes through `addCallbackRoutes(to:config:dependencies:tuning:)` too, changing only these.
struct CallbackReceiverTuning: Sendable {
    /// The GitHub client, given the one the configuration describes.
    var github: @Sendable (GitHubClient) -> GitHubClient = { $0 }
    /// The store of people's keys, given the one the service would use.
    var secrets: @Sendable (PostgresUserSecretStore) -> any UserSecretStore = { $0 }
    /// How often the status comment may follow a worker's phase.
    var progressSpacing = CallbackSettings.defaultProgressSpacing
}

/// The workers' routes (`/callbacks/…`), on `router` after whatever it already holds.
func addCallbackRoutes(
    to router: Router<BasicRequestContext>, config: CallbackReceiverConfig, dependencies: ServiceDependencies,
    tuning: CallbackReceiverTuning = CallbackReceiverTuning()
) {
    let logger = dependencies.logger
    let secrets = tuning.secrets(
        PostgresUserSecretStore(client: dependencies.postgres, keyring: config.encryptionKeys, logger: logger))
    let service = CallbackService(
        repository: PostgresCallbackRepository(client: dependencies.postgres, logger: logger),
        github: tuning.github(
            GitHubClient(endpoints: config.github, app: config.app, metrics: dependencies.metrics, logger: logger)),
        secrets: secrets,
        reaper: FlyWorkerReaper(
            fly: config.fly, secrets: secrets, grace: config.reapGrace,
            pacer: PostgresFlyPacer(client: dependencies.postgres, logger: logger), logger: logger),
        settings: CallbackSettings(
            publicURL: config.publicURL, gitURL: config.github.webURL, appSlug: config.app.slug ?? "porter",
            appID: config.app.appID, defaultKeys: config.defaultKeys.keys.mapValues(\.value),
            allowScriptAgent: config.allowScriptAgent, progressSpacing: tuning.progressSpacing,
            infraRetries: config.infraRetries),
        operatorSecrets: config.secretValues, logger: logger)
    CallbackRoutes(service: service, metrics: dependencies.metrics, logger: logger).addRoutes(to: router)
}
