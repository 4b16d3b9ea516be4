import NIOHTTP1

/// A failed call to an external API (GitHub, Fly), with enough context to decide what to do and
/// nothing secret: bodies are truncated and redacted.
public enum APIError: Error, Sendable, CustomStringConvertible {
    /// The server answered with a non-2xx status.
    case status(code: Int, api: String, operation: String, body: String, retryAfter: Duration?)
    /// No usable answer: connection refused, reset, DNS, TLS.
    case transport(api: String, operation: String, reason: String)
    /// No answer within the call's timeout.
    case timeout(api: String, operation: String)
    /// The answer was larger than the client accepts.
    case responseTooLarge(api: String, operation: String, limit: Int)
    /// The answer could not be decoded into the expected shape.
    case decoding(api: String, operation: String, reason: String)

    /// The HTTP status, for `.status`.
    public var statusCode: Int? { if case .status(let code, _, _, _, _) = self { code } else { nil } }

    /// The answer could not be decoded.
    public var isDecoding: Bool { if case .decoding = self { true } else { false } }

    /// The answer was past the client's cap: the server did what was asked, and its answer is lost.
    public var isResponseTooLarge: Bool { if case .responseTooLarge = self { true } else { false } }

    /// Worth another try with the same request: rate limits, server errors, transport failures.
    public var isTransient: Bool {
        switch self {
        case .status(let code, _, _, _, _): code == 429 || code == 408 || code >= 500
        case .transport, .timeout: true
        case .responseTooLarge, .decoding: false
        }
    }

    public var description: String {
        switch self {
        case .status(let code, let api, let operation, let body, _): "\(api) \(operation) answered \(code): \(body)"
        case .transport(let api, let operation, let reason): "\(api) \(operation) failed: \(reason)"
        case .timeout(let api, let operation): "\(api) \(operation) timed out"
        case .responseTooLarge(let api, let operation, let limit):
            "\(api) \(operation) answered with more than \(limit) bytes"
        case .decoding(let api, let operation, let reason):
            "\(api) \(operation) answered in an unexpected shape: \(reason)"
        }
    }
}
