import Hummingbird

/// A service's configuration, loaded from the environment in one pass.
public protocol ServiceConfiguration: Sendable {
    /// Loads every variable the service reads, throwing one error that names every problem.
    static func load(from environment: [String: String]) throws(ConfigurationError) -> Self

    var basics: ServiceBasics { get }

    /// Secret values the log redactor must scrub wherever they appear, whatever their shape.
    var secretValues: [String] { get }
}

/// What a service binary is: its name, its configuration, and how its application is built.
public protocol PorterService {
    associatedtype Config: ServiceConfiguration
    associatedtype ServiceApplication: ApplicationProtocol

    /// The binary's name, for example `webhook-gateway`.
    static var name: String { get }
    /// One line describing what the service does, for `--help`.
    static var abstract: String { get }

    static func buildApplication(config: Config, dependencies: ServiceDependencies) async throws -> ServiceApplication
}
