import Foundation

/// How long a job keeps trying through transient failures: at most `maxFailures` failed tries in a
/// row and `maxDuration` since the first of them, backing off between tries. Then its task ends with
/// the reason, so no step retries forever. Waiting (for a slot, for a worker to stop) is no failure.
public struct FailureBudget: Sendable {
    public var maxFailures: Int
    public var maxDuration: Duration
    public var retry: RetryPolicy

    public init(
        maxFailures: Int = 30, maxDuration: Duration = .seconds(30 * 60),
        retry: RetryPolicy = RetryPolicy(maxAttempts: .max, baseDelay: .seconds(1), maxDelay: .seconds(60))
    ) {
        self.maxFailures = maxFailures
        self.maxDuration = maxDuration
        self.retry = retry
    }

    /// True when a failure of this try of `job` is the last the budget allows.
    public func isExhausted(_ job: ClaimedJob, now: Date) -> Bool {
        if job.failures + 1 >= maxFailures { return true }
        guard let since = job.failingSince else { return false }
        return now.timeIntervalSince(since) >= Double(maxDuration.components.seconds)
    }

    /// The wait before the next try of `job` after this one failed.
    public func delay(_ job: ClaimedJob) -> Duration {
        retry.delay(afterAttempt: min(job.failures + 1, 16))
    }
}
