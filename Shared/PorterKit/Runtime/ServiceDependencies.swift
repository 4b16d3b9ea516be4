import Logging
import PostgresNIO

/// What every service is built from: the database client, the metrics registry and a logger.
public struct ServiceDependencies: Sendable {
    public let service: String
    public let postgres: PostgresClient
    public let metrics: ServiceMetrics
    public let logger: Logger

    public init(service: String, postgres: PostgresClient, metrics: ServiceMetrics, logger: Logger) {
        self.service = service
        self.postgres = postgres
        self.metrics = metrics
        self.logger = logger
    }

    /// Dependencies with a new, not yet running, Postgres client: the application runs it as a service.
    public static func make(service: String, database: DatabaseURL, logger: Logger) -> ServiceDependencies {
        var postgresLogger = logger
        postgresLogger[metadataKey: "component"] = "postgres"
        return ServiceDependencies(
            service: service,
            postgres: PostgresClient(configuration: database.clientConfiguration(), backgroundLogger: postgresLogger),
            metrics: ServiceMetrics(service: service),
            logger: logger)
    }
}
