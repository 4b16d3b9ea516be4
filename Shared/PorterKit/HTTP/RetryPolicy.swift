/// How many times a safe call is tried and how long to wait between tries: exponential backoff
/// with full jitter, capped, and never shorter than what the server asked for.
public struct RetryPolicy: Sendable {
    public var maxAttempts: Int
    public var baseDelay: Duration
    public var maxDelay: Duration

    public init(maxAttempts: Int = 4, baseDelay: Duration = .milliseconds(250), maxDelay: Duration = .seconds(20)) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// No retries: for tests that want to see the first failure.
    public static let none = RetryPolicy(maxAttempts: 1)

    /// The wait before try number `attempt + 1` (attempt counts from 1), honouring a server's `Retry-After`.
    public func delay(afterAttempt attempt: Int, serverAsked: Duration? = nil) -> Duration {
        let exponent = min(attempt - 1, 16)
        let ceiling = min(maxDelay, baseDelay * (1 << exponent))
        let jittered = ceiling * Double.random(in: 0.5...1.0)
        guard let serverAsked else { return jittered }
        return max(jittered, min(serverAsked, .seconds(120)))
    }
}
