import Hummingbird
import Logging
import ServiceLifecycle

/// Assembles a service's application the same way for all five: operational routes, metrics
/// middleware, the Postgres client first in the service order and the HTTP server last.
public enum PorterApplication {
    public static func make<Context: RequestContext>(
        router: Router<Context>,
        basics: ServiceBasics,
        dependencies: ServiceDependencies,
        workers: [any Service] = []
    ) -> some ApplicationProtocol where Context.Source == ApplicationRequestContextSource {
        OperationalRoutes.add(to: router, dependencies: dependencies)
        return Application(
            router: router,
            configuration: .init(address: .hostname(basics.host, port: basics.port), serverName: dependencies.service),
            services: [dependencies.postgres, SchemaCheck(dependencies: dependencies)] + workers,
            logger: dependencies.logger)
    }

    /// A router for a service, with per-route HTTP metrics recorded for every request.
    public static func router<Context: RequestContext>(
        context: Context.Type = BasicRequestContext.self, dependencies: ServiceDependencies
    ) -> Router<Context> {
        let router = Router(context: Context.self)
        router.add(middleware: HTTPMetricsMiddleware(metrics: dependencies.metrics))
        return router
    }
}

/// Logs once at startup whether the schema is current, so an operator who forgot `migrate` sees why
/// the service reports not-ready.
struct SchemaCheck: Service {
    let dependencies: ServiceDependencies

    func run() async throws {
        let logger = dependencies.logger
        do {
            // Shutting down while the database is unreachable must not wait out the check.
            let status = try await cancelWhenGracefulShutdown {
                try await withTimeout(.seconds(10)) {
                    try await SchemaStatus.check(dependencies.postgres, logger: logger)
                }
            }
            if status.isCurrent {
                logger.info("database ready", metadata: ["schema": "\(status)"])
            } else {
                logger.warning("not ready: \(status)")
            }
        } catch  where !Task.isShuttingDownGracefully {
            logger.warning("not ready: database unreachable", metadata: ["error": "\(String(reflecting: error))"])
        } catch {}
        try? await gracefulShutdown()
    }
}
