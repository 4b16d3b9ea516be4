import Foundation
import PostgresNIO

/// Whether trying the same thing again can succeed. Every retry loop in Porter (dispatch steps,
/// GitHub side effects, callbacks) asks this one question, so an error is never retried by one
/// service and given up by another.
public enum Failure: Sendable, Equatable {
    /// Waiting may mend it: the network, a 5xx, a rate limit, the database restarting.
    case transient
    /// Waiting mends nothing: the same call fails the same way until someone changes something.
    case permanent

    /// Classifies `error`. Unknown errors count as transient: the caller's attempt cap bounds them.
    public static func of(_ error: any Error) -> Failure {
        switch error {
        case let error as APIError: of(error)
        case let error as PostgresTransactionError:
            (error.closureError ?? error.commitError ?? error.beginError).map(of) ?? .transient
        case let error as PSQLError: of(error)
        case let error as any ClassifiedError: error.failure
        case is DecodingError, is EncodingError: .permanent
        default: .transient
        }
    }

    public static func isPermanent(_ error: any Error) -> Bool { of(error) == .permanent }

    static func of(_ error: APIError) -> Failure {
        switch error {
        case .transport, .timeout: return .transient
        case .responseTooLarge, .decoding: return .permanent
        case .status(let code, _, _, let body, let retryAfter):
            if code == 408 || code == 429 || code >= 500 { return .transient }
            // GitHub answers its secondary rate limits (and a used-up quota) with 403: those pass.
            // Any other 403 ("Resource not accessible by integration") is a permission that is missing.
            if code == 403 {
                let text = body.lowercased()
                if retryAfter != nil || text.contains("rate limit") || text.contains("abuse") { return .transient }
            }
            return .permanent
        }
    }

    static func of(_ error: PSQLError) -> Failure {
        // No server answer at all (connection refused, closed, a pool timeout): the database may come back.
        guard let state = error.serverInfo?[.sqlState] else { return .transient }
        switch state.prefix(2) {
        // Data exceptions (22021: bytes that are no valid UTF-8, such as NUL) and integrity violations
        // fail the same way on every try.
        case "22", "23": return .permanent
        default: return .transient
        }
    }
}

/// An error that says for itself whether waiting can mend it.
public protocol ClassifiedError: Error {
    var failure: Failure { get }
}

extension CryptoFailure: ClassifiedError {
    public var failure: Failure { .permanent }
}

extension WorkerTargetProblem: ClassifiedError {
    public var failure: Failure { .permanent }
}

extension GitHubError: ClassifiedError {
    public var failure: Failure {
        if case .createdButUnread = self { return .transient }
        return .permanent
    }
}

extension SideEffectError: ClassifiedError {
    var failure: Failure { .permanent }
}

extension LocalWorkerError: ClassifiedError {
    public var failure: Failure {
        switch self {
        case .noCommand: .permanent
        case .spawnFailed: .transient
        }
    }
}

extension Failure {
    /// `error` in a sentence fit for an issue comment: what refused and why, nothing secret.
    public static func explain(_ error: any Error) -> String {
        switch error {
        case let error as APIError:
            guard case .status(let code, let api, _, let body, _) = error else { return "\(error)" }
            let service = api == "fly" ? "Fly.io" : "GitHub"
            struct Message: Decodable { var message: String?, error: String? }
            let parsed = try? JSONDecoder().decode(Message.self, from: Data(body.utf8))
            guard let message = parsed?.message ?? parsed?.error, !message.isEmpty else {
                return "\(service) answered \(code)"
            }
            return "\(service) answered \(code): \(PromptBuilder.sanitize(message, limit: 300))"
        case let error as PostgresTransactionError:
            return (error.closureError ?? error.commitError ?? error.beginError).map(explain) ?? "the database failed"
        case let error as PSQLError:
            guard let state = error.serverInfo?[.sqlState] else { return "the database could not be reached" }
            let message = error.serverInfo?[.message].map { ": \(PromptBuilder.sanitize($0, limit: 200))" } ?? ""
            return "the database refused the data (SQLSTATE \(state))\(message)"
        case let error as StepFailure:
            return "\(error.step) failed: \(explain(error.underlying))"
        default:
            return "\(error)"
        }
    }
}

/// An error from a named step, classified and explained as the error it wraps.
public struct StepFailure: ClassifiedError, CustomStringConvertible {
    public var step: String
    public var underlying: any Error

    public init(_ step: String, _ underlying: any Error) {
        self.step = step
        self.underlying = underlying
    }

    public var failure: Failure { Failure.of(underlying) }
    public var description: String { "\(step) failed: \(underlying)" }
}
