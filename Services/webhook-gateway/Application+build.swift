import Hummingbird
import PorterKit

func buildApplication(
    config: WebhookGatewayConfig, dependencies: ServiceDependencies
) async throws
    -> some ApplicationProtocol
{
    let router = buildRouter(config: config, dependencies: dependencies)
    return PorterApplication.make(router: router, basics: config.basics, dependencies: dependencies)
}

func buildRouter(config: WebhookGatewayConfig, dependencies: ServiceDependencies) -> Router<BasicRequestContext> {
    let router = PorterApplication.router(dependencies: dependencies)
    WebhookController(
        signature: WebhookSignature(secret: config.webhookSecret.value),
        interpreter: WebhookInterpreter(
            mention: config.mention, appSlug: config.appSlug, allowedBots: config.allowedBots,
            helpForEveryone: config.helpForEveryone, demoAgent: config.demoAgent),
        store: PostgresWebhookDeliveryStore(client: dependencies.postgres, logger: dependencies.logger),
        metrics: dependencies.metrics,
        logger: dependencies.logger
    ).addRoutes(to: router)
    return router
}
