import Foundation
import Hummingbird
import Logging
import PostgresNIO
import ServiceLifecycle

/// The least a Porter service could be: Hummingbird serving `/healthz` and a `/readyz` that asks
/// PostgreSQL through postgres-nio, under swift-service-lifecycle, and nothing else. Built with the
/// same packages and flags as the services, it is `benchmarks/service-runtime`'s reference for start
/// time and idle memory: what the stack itself costs before any of Porter's code.
///
///     PORT=8080 DATABASE_URL=postgres://user@host:5432/db porter-reference-server
@main
struct ReferenceServer {
    static func main() async throws {
        let environment = Environment()
        let logger = {
            var logger = Logger(label: "porter-reference-server")
            logger.logLevel = .warning
            return logger
        }()
        guard let url = environment.get("DATABASE_URL"), let database = Self.configuration(url) else {
            FileHandle.standardError.write(
                Data("DATABASE_URL must be postgres://user[:password]@host[:port]/database\n".utf8))
            exit(2)
        }
        let postgres = PostgresClient(configuration: database, backgroundLogger: logger)
        let router = Router()
        router.get("/healthz") { _, _ in "ok" }
        router.get("/readyz") { _, _ -> Response in
            do {
                _ = try await postgres.query("SELECT 1", logger: logger).collect()
                return Response(status: .ok)
            } catch {
                return Response(status: .serviceUnavailable)
            }
        }
        let app = Application(
            router: router,
            configuration: .init(
                address: .hostname(
                    environment.get("HOST") ?? "127.0.0.1", port: environment.get("PORT").flatMap(Int.init) ?? 8080)),
            services: [postgres], logger: logger)
        try await app.runService()
    }

    /// `postgres://user[:password]@host[:port]/database`, without TLS (loopback only).
    static func configuration(_ url: String) -> PostgresClient.Configuration? {
        guard url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") else { return nil }
        let rest = url.split(separator: "://", maxSplits: 1).last.map(String.init) ?? ""
        guard let at = rest.lastIndex(of: "@"), let slash = rest[at...].firstIndex(of: "/") else { return nil }
        let credentials = rest[..<at].split(separator: ":", maxSplits: 1).map(String.init)
        let server = rest[rest.index(after: at)..<slash].split(separator: ":", maxSplits: 1).map(String.init)
        guard let user = credentials.first, let host = server.first else { return nil }
        let database = String(rest[rest.index(after: slash)...].prefix { $0 != "?" })
        return PostgresClient.Configuration(
            host: host, port: server.count > 1 ? Int(server[1]) ?? 5432 : 5432, username: user,
            password: credentials.count > 1 ? credentials[1] : nil, database: database, tls: .disable)
    }
}
