import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// One request to an external API, before headers common to the API are added.
public struct APIRequest: Sendable {
    public var method: HTTPMethod
    /// The path below the API's base URL, starting with `/`, query included.
    public var path: String
    public var headers: HTTPHeaders
    public var body: ByteBuffer?
    /// A short name for logs, metrics and errors, for example `create_machine`.
    public var operation: String
    /// Safe to send again after a transient failure (reads, and writes the API defines as idempotent).
    public var idempotent: Bool

    public init(
        _ method: HTTPMethod, _ path: String, operation: String, headers: HTTPHeaders = [:], body: ByteBuffer? = nil,
        idempotent: Bool? = nil
    ) {
        self.method = method
        self.path = path
        self.operation = operation
        self.headers = headers
        self.body = body
        self.idempotent = idempotent ?? [.GET, .HEAD, .PUT, .DELETE].contains(method)
    }

    /// A request with a JSON body.
    public static func json(
        _ method: HTTPMethod, _ path: String, operation: String, body: some Encodable, idempotent: Bool? = nil
    ) throws -> APIRequest {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        let data = try JSONEncoder.api.encode(body)
        return APIRequest(
            method, path, operation: operation, headers: headers, body: ByteBuffer(bytes: data), idempotent: idempotent)
    }
}

/// An answer from an external API, body already read.
public struct APIResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: ByteBuffer

    public init(status: Int, headers: HTTPHeaders, body: ByteBuffer) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public func decode<T: Decodable>(_ type: T.Type, api: String, operation: String) throws -> T {
        do {
            return try JSONDecoder.api.decode(type, from: Data(buffer: body))
        } catch {
            throw APIError.decoding(api: api, operation: operation, reason: "\(error)")
        }
    }

    /// `Retry-After` in seconds, when present.
    public var retryAfter: Duration? {
        headers.first(name: "Retry-After").flatMap { Int64($0) }.map { .seconds($0) }
    }
}

/// The one way Porter calls an external API: base URL and common headers, a timeout, a body cap,
/// non-2xx mapped to `APIError` with a truncated, redacted body, metrics per operation and status,
/// and transient failures of idempotent calls retried with backoff. Clients (GitHub, Fly) build on it.
public struct APIClient: Sendable {
    /// Sends one HTTP request; replaced only to inject transport faults in tests.
    public typealias Transport = @Sendable (HTTPClientRequest, TimeAmount) async throws -> HTTPClientResponse

    public let api: String
    public let baseURL: URL
    public var defaultHeaders: HTTPHeaders
    public var timeout: TimeAmount
    public var maxResponseBytes: Int
    public var retry: RetryPolicy
    let transport: Transport
    let metrics: ServiceMetrics?
    let logger: Logger
    let redactor: Redactor

    public init(
        api: String, baseURL: URL, defaultHeaders: HTTPHeaders = [:], timeout: TimeAmount = .seconds(30),
        maxResponseBytes: Int = 10 << 20, retry: RetryPolicy = RetryPolicy(), httpClient: HTTPClient = .shared,
        metrics: ServiceMetrics? = nil, logger: Logger, redactor: Redactor = Redactor(), transport: Transport? = nil
    ) {
        self.api = api
        self.baseURL = baseURL
        self.defaultHeaders = defaultHeaders
        self.timeout = timeout
        self.maxResponseBytes = maxResponseBytes
        self.retry = retry
        self.transport = transport ?? { request, timeout in try await httpClient.execute(request, timeout: timeout) }
        self.metrics = metrics
        self.logger = logger
        self.redactor = redactor
    }

    /// Sends `request`, retrying transient failures when it is idempotent. `prepare` runs before every
    /// try (for example to add a fresh token or wait for a rate-limit token); `observe` sees every
    /// answer (for example to record rate-limit headers).
    public func send(
        _ request: APIRequest,
        prepare: @Sendable (inout HTTPClientRequest) async throws -> Void = { _ in },
        observe: @Sendable (APIResponse) async -> Void = { _ in }
    ) async throws -> APIResponse {
        var attempt = 1
        while true {
            do {
                return try await sendOnce(request, prepare: prepare, observe: observe)
            } catch let error as APIError where error.isTransient && request.idempotent && attempt < retry.maxAttempts {
                let serverAsked: Duration? =
                    if case .status(_, _, _, _, let retryAfter) = error { retryAfter } else { nil }
                let delay = retry.delay(afterAttempt: attempt, serverAsked: serverAsked)
                logger.info(
                    "retrying \(api) call",
                    metadata: ["operation": "\(request.operation)", "attempt": "\(attempt)", "error": "\(error)"])
                try await Task.sleep(for: delay)
                attempt += 1
            }
        }
    }

    func sendOnce(
        _ request: APIRequest,
        prepare: @Sendable (inout HTTPClientRequest) async throws -> Void,
        observe: @Sendable (APIResponse) async -> Void
    ) async throws -> APIResponse {
        var outgoing = HTTPClientRequest(url: baseURL.absoluteString + request.path)
        outgoing.method = request.method
        outgoing.headers = defaultHeaders
        outgoing.headers.add(contentsOf: request.headers)
        if let body = request.body { outgoing.body = .bytes(body) }
        try await prepare(&outgoing)

        let start = ContinuousClock.now
        let response: APIResponse
        do {
            let raw = try await transport(outgoing, timeout)
            let (body, complete) = try await Self.read(raw.body, upTo: maxResponseBytes)
            // An oversized error answer still reports its status; only a success must be whole.
            if !complete, (200..<300).contains(Int(raw.status.code)) {
                throw APIError.responseTooLarge(api: api, operation: request.operation, limit: maxResponseBytes)
            }
            response = APIResponse(status: Int(raw.status.code), headers: raw.headers, body: body)
        } catch let error as APIError {
            record(request, status: "error", since: start)
            throw error
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            record(request, status: "timeout", since: start)
            throw APIError.timeout(api: api, operation: request.operation)
        } catch {
            record(request, status: "error", since: start)
            throw APIError.transport(api: api, operation: request.operation, reason: redactor.redact("\(error)"))
        }
        record(request, status: String(response.status), since: start)
        await observe(response)
        guard (200..<300).contains(response.status) else {
            let text = redactor.redact(String(buffer: response.body))
            throw APIError.status(
                code: response.status, api: api, operation: request.operation,
                body: text.count > 512 ? String(text.prefix(512)) + "…" : text, retryAfter: response.retryAfter)
        }
        return response
    }

    /// Reads at most `limit` bytes; `complete` is false when the body was longer.
    static func read(_ body: HTTPClientResponse.Body, upTo limit: Int) async throws -> (ByteBuffer, complete: Bool) {
        var collected = ByteBuffer()
        for try await chunk in body {
            guard collected.readableBytes + chunk.readableBytes <= limit else {
                collected.writeImmutableBuffer(
                    chunk.getSlice(at: chunk.readerIndex, length: limit - collected.readableBytes)!)
                return (collected, false)
            }
            collected.writeImmutableBuffer(chunk)
        }
        return (collected, true)
    }

    private func record(_ request: APIRequest, status: String, since start: ContinuousClock.Instant) {
        guard let metrics else { return }
        metrics.counter(
            "\(api)_calls", help: "Calls to the \(api) API by operation and status.",
            labels: [("operation", request.operation), ("status", status)]
        ).increment()
        metrics.histogram(
            "\(api)_call_duration", help: "Latency of calls to the \(api) API.",
            labels: [("operation", request.operation)]
        ).record(ContinuousClock.now - start)
    }
}

extension JSONEncoder {
    /// snake_case keys, ISO 8601 dates: what both GitHub and Fly speak.
    public static let api: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()
}

extension JSONDecoder {
    public static let api: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()
}
