import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// The worker-facing endpoints. Each one authenticates the attempt's token before anything else and
/// answers every refusal of it the same way; a failure on our side is a 503, which workers retry.
public struct CallbackRoutes: Sendable {
    /// Reports carry a summary and a log tail; anything larger is not a report.
    static let maximumBodyBytes = 1 << 20

    let service: CallbackService
    let metrics: ServiceMetrics
    let logger: Logger

    public init(service: CallbackService, metrics: ServiceMetrics, logger: Logger) {
        self.service = service
        self.metrics = metrics
        self.logger = logger
    }

    public func addRoutes(to router: Router<BasicRequestContext>) {
        let attempt = router.group("/callbacks/tasks/:task/attempts/:attempt")
        attempt.get("spec", use: spec)
        attempt.post("heartbeat", use: heartbeat)
        attempt.post("events", use: events)
        router.post("/callbacks/complete", use: complete)
        router.post("/api/callbacks/complete", use: complete)
    }

    @Sendable func spec(_ request: Request, context: BasicRequestContext) async -> Response {
        await answer("spec") {
            let attempt = try await authenticate(request, context, includePrompt: true)
            let spec = try await service.spec(for: attempt)
            var response = try Self.json(.ok, spec)
            // It holds a token and keys: no cache may keep it.
            response.headers[.cacheControl] = "no-store"
            return response
        }
    }

    @Sendable func heartbeat(_ request: Request, context: BasicRequestContext) async -> Response {
        await answer("heartbeat") {
            let attempt = try await authenticate(request, context)
            struct Answer: Encodable { var `continue`: Bool }
            return try Self.json(.ok, Answer(continue: try await service.heartbeat(attempt)))
        }
    }

    @Sendable func events(_ request: Request, context: BasicRequestContext) async -> Response {
        await answer("events") {
            let attempt = try await authenticate(request, context)
            let report = try ProgressReport.parse(try await Self.body(request))
            try await service.progress(attempt, report)
            return try Self.json(.accepted, ["recorded": true])
        }
    }

    @Sendable func complete(_ request: Request, context: BasicRequestContext) async -> Response {
        await answer("complete") {
            let report = try CompletionReport.parse(try await Self.body(request))
            let reply = try await service.complete(report, authorization: request.headers[.authorization])
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: reply)))
        }
    }

    func authenticate(
        _ request: Request, _ context: BasicRequestContext, includePrompt: Bool = false
    ) async throws -> CallbackAttempt {
        guard let task = context.parameters.get("task").flatMap(UUID.init(uuidString:)),
            let number = context.parameters.get("attempt").flatMap(Int32.init), number >= 1
        else { throw CallbackError.badRequest("the path names no task attempt") }
        return try await service.authenticate(
            taskID: task, attempt: Int(number), authorization: request.headers[.authorization],
            includePrompt: includePrompt)
    }

    /// Runs `handler`, turning each refusal into its status and counting answers by endpoint and status.
    func answer(_ endpoint: String, _ handler: () async throws -> Response) async -> Response {
        let response: Response
        do {
            response = try await handler()
        } catch let error as CallbackError {
            let status: HTTPResponse.Status =
                switch error {
                case .badRequest: .badRequest
                case .unauthorized: .unauthorized
                case .notRunnable: .conflict
                case .unavailable: .serviceUnavailable
                }
            response = Self.error(status, error.description)
        } catch {
            logger.error(
                "callback failed", metadata: ["endpoint": "\(endpoint)", "error": "\(String(reflecting: error))"])
            response = Self.error(.serviceUnavailable, "temporarily unavailable; try again")
        }
        metrics.counter(
            "callbacks", help: "Worker callbacks by endpoint and answer.",
            labels: [("endpoint", endpoint), ("status", String(response.status.code))]
        ).increment()
        return response
    }

    static func body(_ request: Request) async throws -> Data {
        do {
            return Data(buffer: try await request.body.collect(upTo: maximumBodyBytes))
        } catch {
            throw CallbackError.badRequest("the body is over \(maximumBodyBytes) bytes")
        }
    }

    static func json(_ status: HTTPResponse.Status, _ value: some Encodable) throws -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: try JSONEncoder.callback.encode(value))))
    }

    static func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        (try? json(status, ["error": message]))
            ?? Response(status: status, body: .init(byteBuffer: ByteBuffer(string: message)))
    }
}
