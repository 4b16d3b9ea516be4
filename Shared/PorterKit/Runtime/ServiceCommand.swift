import ArgumentParser
import Foundation
import Logging
import Metrics
import PostgresNIO
import Prometheus
import ServiceLifecycle

/// The command line every service binary shares: no argument serves, `migrate` migrates,
/// `rotate-keys` re-encrypts stored secrets under the first encryption key.
public enum ServiceCommand {
    /// Exit status for a missing or malformed environment variable (EX_CONFIG).
    public static let configurationExitCode: Int32 = 78

    public static func configuration<S: PorterService>(for service: S.Type) -> CommandConfiguration {
        CommandConfiguration(
            commandName: S.name,
            abstract: S.abstract,
            discussion: """
                With no subcommand the service serves HTTP (GET /healthz, /readyz and /metrics, and its own \
                endpoints) until SIGTERM or SIGINT, then finishes in-flight requests and exits 0.

                `migrate` applies pending database migrations and exits 0; it needs only DATABASE_URL.

                `rotate-keys` re-encrypts every stored secret under the first key of PORTER_ENCRYPTION_KEYS \
                and exits; it needs only DATABASE_URL and PORTER_ENCRYPTION_KEYS.

                Configuration comes from environment variables. A missing or malformed one stops the service \
                with exit status 78 and a message naming every variable at fault.
                """,
            subcommands: [ServeCommand<S>.self, MigrateCommand.self, RotateKeysCommand.self],
            defaultSubcommand: ServeCommand<S>.self)
    }
}

/// Serves until SIGTERM or SIGINT.
public struct ServeCommand<S: PorterService>: AsyncParsableCommand {
    public static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "serve", abstract: "Serve HTTP until SIGTERM or SIGINT (the default).")
    }

    public init() {}

    public func run() async throws {
        let config: S.Config
        do {
            config = try S.Config.load(from: ProcessInfo.processInfo.environment)
        } catch {
            FileHandle.standardError.write(Data("\(S.name): \(error)\n".utf8))
            throw ExitCode(ServiceCommand.configurationExitCode)
        }
        let basics = config.basics
        LoggingSystem.bootstrapPorter(
            level: basics.logLevel, format: basics.logFormat, redactor: Redactor(knownSecrets: config.secretValues))
        let logger = Logger(label: S.name)
        let dependencies = ServiceDependencies.make(service: S.name, database: basics.database, logger: logger)
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: dependencies.metrics.registry))

        let app = try await S.buildApplication(config: config, dependencies: dependencies)
        var groupConfiguration = ServiceGroupConfiguration(
            services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        // In-flight requests get this long to finish; the process must be gone within 10 s of SIGTERM.
        groupConfiguration.maximumGracefulShutdownDuration = .seconds(8)
        groupConfiguration.maximumCancellationDuration = .seconds(1)
        logger.info(
            "starting", metadata: ["address": "\(basics.host):\(basics.port)", "database": "\(basics.database)"])
        try await ServiceGroup(configuration: groupConfiguration).run()
        logger.info("stopped")
    }
}

/// Applies pending migrations and exits.
public struct MigrateCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "migrate", abstract: "Apply pending database migrations (needs DATABASE_URL) and exit.")

    public init() {}

    public func run() async throws {
        var env = EnvironmentReader(ProcessInfo.processInfo.environment)
        let logging = LoggingOptions.read(from: &env)
        let database = env.required("DATABASE_URL", DatabaseURL.parse)
        do {
            try env.validate()
        } catch {
            FileHandle.standardError.write(Data("migrate: \(error)\n".utf8))
            throw ExitCode(ServiceCommand.configurationExitCode)
        }
        LoggingSystem.bootstrapPorter(level: logging.level, format: logging.format)
        let logger = Logger(label: "migrate")
        do {
            let applied = try await withPostgres(database!, logger: logger) { client in
                try await Migrator(logger: logger).migrate(client)
            }
            logger.info(
                "migrations complete",
                metadata: ["applied": "\(applied)", "current": "\(Migration.all.map(\.version).max() ?? 0)"])
        } catch {
            logger.error("migration failed", metadata: ["error": "\(String(reflecting: error))"])
            throw ExitCode.failure
        }
    }
}

/// Runs `body` with a running Postgres client, shutting the client down afterwards.
@discardableResult
public func withPostgres<T: Sendable>(
    _ database: DatabaseURL, logger: Logger, maximumConnections: Int = 4,
    _ body: @escaping @Sendable (PostgresClient) async throws -> T
) async throws -> T {
    // The pool warns when a lease races ahead of `run()` starting, which is harmless here; real
    // failures reach the caller as thrown errors, so only errors are worth logging in the background.
    var backgroundLogger = logger
    backgroundLogger.logLevel = .error
    let client = PostgresClient(
        configuration: database.clientConfiguration(maximumConnections: maximumConnections),
        backgroundLogger: backgroundLogger)
    return try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask {
            await client.run()
            return nil
        }
        defer { group.cancelAll() }
        return try await body(client)
    }
}
