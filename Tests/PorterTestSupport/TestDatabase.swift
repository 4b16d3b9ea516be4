import Foundation
import Logging
import NIOPosix
import PorterKit
import PostgresNIO

/// A database of its own for every test, cloned from a migrated template, so tests run in parallel
/// and never see each other's rows. The server comes from `PORTER_TEST_DATABASE_URL`, which the
/// test command (`scripts/test`) sets after starting a private PostgreSQL.
public enum TestDatabase {
    public static let logger: Logger = {
        var logger = Logger(label: "test-database")
        logger.logLevel = .error
        return logger
    }()

    /// The server's maintenance database URL.
    public static var serverURL: DatabaseURL {
        get throws {
            guard let text = ProcessInfo.processInfo.environment["PORTER_TEST_DATABASE_URL"] else {
                throw TestSetupError("PORTER_TEST_DATABASE_URL is not set: run the tests with scripts/test")
            }
            return try DatabaseURL.parse(text)
        }
    }

    /// Runs `body` with the URL of a fresh database (migrated, or empty), dropping it afterwards.
    @discardableResult
    public static func withDatabase<T: Sendable>(
        migrated: Bool = true, _ body: (DatabaseURL) async throws -> T
    ) async throws -> T {
        let server = try serverURL
        let name = "porter_test_\(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""))"
        if migrated {
            let template = try await Templates.shared.migratedTemplate(server: server)
            try await admin(server, "CREATE DATABASE \(name) TEMPLATE \(template)")
        } else {
            try await admin(server, "CREATE DATABASE \(name)")
        }
        do {
            let result = try await body(server.with(database: name))
            try await admin(server, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
            return result
        } catch {
            try? await admin(server, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
            throw error
        }
    }

    /// Runs `body` with a running client on a fresh database.
    @discardableResult
    public static func withClient<T: Sendable>(
        migrated: Bool = true, _ body: @escaping @Sendable (PostgresClient, DatabaseURL) async throws -> T
    ) async throws -> T {
        try await withDatabase(migrated: migrated) { url in
            try await withPostgres(url, logger: logger, maximumConnections: 8) { client in try await body(client, url) }
        }
    }

    /// Runs one statement on its own short-lived connection (database creation cannot run in a pool's transaction).
    public static func admin(_ url: DatabaseURL, _ sql: String) async throws {
        try await withConnection(url) { connection in
            try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
        }
    }

    /// Runs `body` on a dedicated connection, closed afterwards whatever happens.
    @discardableResult
    public static func withConnection<T>(
        _ url: DatabaseURL, _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        let connection = try await connect(url)
        do {
            let result = try await body(connection)
            try? await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }

    public static func connect(_ url: DatabaseURL) async throws -> PostgresConnection {
        let configuration = PostgresConnection.Configuration(
            host: url.host, port: url.port, username: url.username, password: url.password?.value,
            database: url.database, tls: .disable)
        return try await PostgresConnection.connect(
            on: MultiThreadedEventLoopGroup.singleton.next(), configuration: configuration, id: 1, logger: logger)
    }
}

/// Creates the migrated template once per process and once per schema (its name is a hash of the migrations).
actor Templates {
    static let shared = Templates()
    private var ready: [String: Task<String, any Error>] = [:]

    func migratedTemplate(server: DatabaseURL) async throws -> String {
        let name = "porter_template_\(Self.fingerprint(Migration.all))"
        if let task = ready[name] { return try await task.value }
        let task = Task { try await Self.create(name, server: server) }
        ready[name] = task
        return try await task.value
    }

    private static func create(_ name: String, server: DatabaseURL) async throws -> String {
        // Several test processes may race to build the same template: an advisory lock serialises
        // them, and the template appears under its final name only once it is fully migrated.
        // Closing the connection releases the session-level lock.
        try await TestDatabase.withConnection(server) { connection in
            try await build(name, server: server, on: connection)
        }
    }

    private static func build(
        _ name: String, server: DatabaseURL, on connection: PostgresConnection
    ) async throws -> String {
        let logger = TestDatabase.logger
        try await connection.query("SELECT pg_advisory_lock(7411)", logger: logger)
        let exists =
            try await connection.query("SELECT 1 FROM pg_database WHERE datname = \(name)", logger: logger)
            .collect().isEmpty == false
        if exists { return name }
        let building = "\(name)_building"
        try await connection.query(
            PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(building) WITH (FORCE)"), logger: logger)
        try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(building)"), logger: logger)
        try await withPostgres(server.with(database: building), logger: logger) { client in
            try await Migrator(logger: logger).migrate(client)
        }
        try await connection.query(
            PostgresQuery(unsafeSQL: "ALTER DATABASE \(building) RENAME TO \(name)"), logger: logger)
        return name
    }

    /// FNV-1a over every migration's version and statements.
    static func fingerprint(_ migrations: [Migration]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for migration in migrations {
            for byte in "\(migration.version)\u{0}\(migration.statements.joined(separator: "\u{0}"))".utf8 {
                hash ^= UInt64(byte)
                hash = hash &* 0x0000_0100_0000_01b3
            }
        }
        return String(hash, radix: 16)
    }
}

public struct TestSetupError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
