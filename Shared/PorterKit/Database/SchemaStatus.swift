import Logging
import PostgresNIO

/// How the database's schema compares with what this build expects; what `/readyz` reports.
public enum SchemaStatus: Sendable, Equatable, CustomStringConvertible {
    case current(version: Int)
    /// Migrations are pending: run `<service> migrate`.
    case behind(applied: Int, expected: Int)
    /// The database has migrations this build does not know.
    case ahead(applied: Int, expected: Int)

    public var isCurrent: Bool { if case .current = self { true } else { false } }

    public var description: String {
        switch self {
        case .current(let version):
            "schema is current (version \(version))"
        case .behind(let applied, let expected):
            "schema is behind: version \(applied) applied, \(expected) expected; run `migrate`"
        case .ahead(let applied, let expected):
            "schema is ahead: version \(applied) applied, this build knows up to \(expected)"
        }
    }

    /// Reads the applied migrations and compares them with `migrations`.
    public static func check(
        _ client: PostgresClient, migrations: [Migration] = Migration.all, logger: Logger
    ) async throws -> SchemaStatus {
        let applied = try await client.withConnection { try await appliedVersions(on: $0, logger: logger) }
        return compare(applied: applied, migrations: migrations)
    }

    static func compare(applied: [Int], migrations: [Migration]) -> SchemaStatus {
        let expected = migrations.map(\.version)
        let newestExpected = expected.max() ?? 0
        let newestApplied = applied.max() ?? 0
        if !Set(applied).isSubset(of: Set(expected)) {
            return .ahead(applied: newestApplied, expected: newestExpected)
        }
        if Set(expected).isSubset(of: Set(applied)) { return .current(version: newestApplied) }
        return .behind(applied: newestApplied, expected: newestExpected)
    }

    static func appliedVersions(on connection: PostgresConnection, logger: Logger) async throws -> [Int] {
        let exists =
            try await connection.query(
                "SELECT to_regclass('schema_migrations') IS NOT NULL", logger: logger
            ).collect().first?.decode(Bool.self) ?? false
        guard exists else { return [] }
        var versions: [Int] = []
        for try await version in try await connection.query(
            "SELECT version FROM schema_migrations ORDER BY version", logger: logger
        ).decode(Int.self) {
            versions.append(version)
        }
        return versions
    }
}
