import Logging
import PostgresNIO

/// Applies `Migration.all` under a Postgres advisory lock, each migration in its own transaction,
/// so any number of services may run `migrate` at the same moment.
public struct Migrator: Sendable {
    /// Arbitrary but fixed: every Porter process contends for this one lock.
    static let advisoryLockKey: Int64 = 0x504F_5254_4552  // "PORTER"

    public let migrations: [Migration]
    let logger: Logger

    public init(migrations: [Migration] = Migration.all, logger: Logger) {
        self.migrations = migrations
        self.logger = logger
    }

    /// Applies what is pending and returns the versions it applied.
    @discardableResult
    public func migrate(_ client: PostgresClient) async throws -> [Int] {
        try await client.withConnection { connection in
            try await connection.query("SELECT pg_advisory_lock(\(Self.advisoryLockKey))", logger: logger)
            do {
                let applied = try await applyPending(on: connection)
                try await connection.query("SELECT pg_advisory_unlock(\(Self.advisoryLockKey))", logger: logger)
                return applied
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.advisoryLockKey))", logger: logger)
                throw error
            }
        }
    }

    private func applyPending(on connection: PostgresConnection) async throws -> [Int] {
        try await connection.query(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version integer PRIMARY KEY,
                name text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """, logger: logger)
        let applied = Set(try await SchemaStatus.appliedVersions(on: connection, logger: logger))
        let known = Set(migrations.map(\.version))
        if let unknown = applied.subtracting(known).sorted().first {
            throw MigrationError.unknownAppliedVersion(unknown, newestKnown: known.max() ?? 0)
        }
        var newlyApplied: [Int] = []
        for migration in migrations.sorted(by: { $0.version < $1.version }) where !applied.contains(migration.version) {
            logger.info(
                "applying migration", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
            do {
                try await connection.withTransaction(logger: logger) { transaction in
                    for statement in migration.statements {
                        try await transaction.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                    try await transaction.query(
                        "INSERT INTO schema_migrations (version, name) VALUES (\(migration.version), \(migration.name))",
                        logger: logger)
                }
            } catch {
                throw MigrationError.failed(
                    version: migration.version, name: migration.name, underlying: String(reflecting: error))
            }
            newlyApplied.append(migration.version)
        }
        return newlyApplied
    }
}

public enum MigrationError: Error, CustomStringConvertible {
    /// The database has a migration this binary does not know: it is older than the schema.
    case unknownAppliedVersion(Int, newestKnown: Int)
    case failed(version: Int, name: String, underlying: String)

    public var description: String {
        switch self {
        case .unknownAppliedVersion(let version, let newest):
            "the database has migration \(version) applied, but this build knows migrations up to \(newest); run a newer build"
        case .failed(let version, let name, let underlying):
            "migration \(version) (\(name)) failed and was rolled back: \(underlying)"
        }
    }
}
