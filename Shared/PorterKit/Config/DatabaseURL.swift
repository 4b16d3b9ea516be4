import Foundation
import PostgresNIO

/// `DATABASE_URL`: `postgres://user:pass@host:port/db[?sslmode=disable|prefer|require]`.
public struct DatabaseURL: Sendable, CustomStringConvertible {
    public enum TLSMode: String, Sendable { case disable, prefer, require }

    public var host: String
    public var port: Int
    public var username: String
    public var password: Secret<String>?
    public var database: String
    public var tlsMode: TLSMode

    public init(
        host: String, port: Int = 5432, username: String, password: String?, database: String,
        tlsMode: TLSMode = .disable
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password.map(Secret.init)
        self.database = database
        self.tlsMode = tlsMode
    }

    public static func parse(_ value: String) throws -> DatabaseURL {
        guard let components = URLComponents(string: value),
            let scheme = components.scheme, ["postgres", "postgresql"].contains(scheme),
            let host = components.host, !host.isEmpty,
            let username = components.user, !username.isEmpty
        else { throw InvalidValue("must look like postgres://user:password@host:port/database") }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else { throw InvalidValue("must name a database after the host") }
        let sslmode = components.queryItems?.first(where: { $0.name == "sslmode" })?.value ?? "disable"
        let tlsMode: TLSMode
        switch sslmode {
        case "disable", "allow": tlsMode = .disable
        case "prefer": tlsMode = .prefer
        case "require", "verify-ca", "verify-full": tlsMode = .require
        default: throw InvalidValue("has an unknown sslmode; use disable, prefer or require")
        }
        return DatabaseURL(
            host: host, port: components.port ?? 5432, username: username.removingPercentEncoding ?? username,
            password: components.password.map { $0.removingPercentEncoding ?? $0 },
            database: database, tlsMode: tlsMode)
    }

    /// The same server with another database, as tests and the template machinery need.
    public func with(database: String) -> DatabaseURL {
        var copy = self
        copy.database = database
        return copy
    }

    /// The URL text with the password left out, safe to log.
    public var description: String { "postgres://\(username)@\(host):\(port)/\(database)" }

    /// The URL text including the password, for handing to a child process.
    public var connectionString: String {
        var components = URLComponents()
        components.scheme = "postgres"
        components.user = username
        components.password = password?.value
        components.host = host
        components.port = port
        components.path = "/\(database)"
        if tlsMode != .disable { components.queryItems = [URLQueryItem(name: "sslmode", value: tlsMode.rawValue)] }
        return components.string ?? description
    }

    public func clientConfiguration(maximumConnections: Int = 20) -> PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS
        switch tlsMode {
        case .disable: tls = .disable
        case .prefer: tls = .prefer(.makeClientConfiguration())
        case .require: tls = .require(.makeClientConfiguration())
        }
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: username, password: password?.value, database: database, tls: tls)
        configuration.options.maximumConnections = maximumConnections
        configuration.options.connectTimeout = .seconds(5)
        return configuration
    }
}
