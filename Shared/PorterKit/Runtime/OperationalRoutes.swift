import Foundation
import Hummingbird
import Logging

/// `/healthz`, `/readyz` and `/metrics`, served by every service.
public enum OperationalRoutes {
    /// How long `/readyz` waits for the database before answering 503.
    static let readinessTimeout: Duration = .seconds(5)

    struct Health: ResponseEncodable {
        let status: String
        let service: String
        var schema: String? = nil
        var reason: String? = nil
    }

    public static func add<Context: RequestContext>(to router: Router<Context>, dependencies: ServiceDependencies) {
        let service = dependencies.service
        router.get("/healthz") { _, _ in Health(status: "ok", service: service) }

        router.get("/readyz") { _, _ -> EditedResponse<Health> in
            do {
                let status = try await withTimeout(readinessTimeout) {
                    try await SchemaStatus.check(dependencies.postgres, logger: dependencies.logger)
                }
                guard status.isCurrent else {
                    dependencies.logger.warning("not ready", metadata: ["reason": "\(status)"])
                    return EditedResponse(
                        status: .serviceUnavailable,
                        response: Health(status: "not_ready", service: service, reason: status.description))
                }
                return EditedResponse(response: Health(status: "ready", service: service, schema: status.description))
            } catch {
                dependencies.logger.warning("not ready", metadata: ["error": "\(String(reflecting: error))"])
                return EditedResponse(
                    status: .serviceUnavailable,
                    response: Health(status: "not_ready", service: service, reason: "database unreachable"))
            }
        }

        router.get("/metrics") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: dependencies.metrics.render())))
        }
    }
}

public struct TimeoutError: Error, CustomStringConvertible {
    public let duration: Duration
    public var description: String { "timed out after \(duration)" }
}

/// Runs `operation`, throwing `TimeoutError` (and cancelling it) when it takes longer than `duration`.
public func withTimeout<T: Sendable>(
    _ duration: Duration, _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: duration)
            throw TimeoutError(duration: duration)
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}
