import Hummingbird

/// Counts requests and records their latency per route, method and status. Unmatched paths are
/// grouped under one label so scanners cannot blow up the series count.
public struct HTTPMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServiceMetrics

    public init(metrics: ServiceMetrics) { self.metrics = metrics }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let start = ContinuousClock.now
        let status: HTTPResponse.Status
        do {
            let response = try await next(request, context)
            status = response.status
            record(request, context: context, status: status, since: start)
            return response
        } catch {
            status = (error as? any HTTPResponseError)?.status ?? .internalServerError
            record(request, context: context, status: status, since: start)
            throw error
        }
    }

    private func record(
        _ request: Request, context: Context, status: HTTPResponse.Status, since start: ContinuousClock.Instant
    ) {
        let route = context.endpointPath ?? "NotFound"
        let method = request.method.rawValue
        metrics.counter(
            "http_requests", help: "HTTP requests answered.",
            labels: [("route", route), ("method", method), ("status", String(status.code))]
        )
        .increment()
        metrics.histogram(
            "http_request_duration", help: "Time to answer an HTTP request.",
            labels: [("route", route), ("method", method)]
        )
        .record(ContinuousClock.now - start)
    }
}
