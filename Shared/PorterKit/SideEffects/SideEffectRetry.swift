import Foundation

/// How a GitHub side effect whose delivery failed is tried again. Invariant 8 asks that an outage
/// delays an effect and never loses it, so there is no attempt cap: transient failures are retried
/// with capped exponential backoff until the effect has waited `patience` since it was queued, and
/// only GitHub refusing for good gives an effect up before that.
public struct SideEffectRetry: Sendable {
    /// How long transient failures are retried, counted from when the effect was queued.
    public var patience: Duration
    /// The first wait; each failure doubles it up to `maxDelay`.
    public var baseDelay: Duration
    /// The longest wait between two tries, so an effect goes out soon after GitHub comes back.
    public var maxDelay: Duration

    /// A day: long enough for any GitHub outage on record.
    public static let defaultPatience: Duration = .seconds(24 * 60 * 60)

    public init(
        patience: Duration = defaultPatience, baseDelay: Duration = .seconds(2), maxDelay: Duration = .seconds(600)
    ) {
        self.patience = patience
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// What becomes of an effect after a failed try.
    public enum Decision: Sendable, Equatable {
        case retry(after: Duration)
        case abandon(AbandonReason)
    }

    /// Decides for an effect of `kind`, queued at `queuedAt`, whose try number `attempts` failed with `error`.
    public func decide(
        kind: String, queuedAt: Date, attempts: Int, after error: any Error, now: Date
    ) -> Decision {
        if Failure.isPermanent(error) { return .abandon(.refused) }
        // A pull request is the task's main result and its branch is already pushed: it waits out
        // any outage, however long.
        if kind != "open_pull_request", Duration.seconds(now.timeIntervalSince(queuedAt)) >= patience {
            return .abandon(.patience)
        }
        return .retry(after: delay(afterAttempt: attempts))
    }

    /// The wait after try number `attempt`, jittered so effects queued together spread out again.
    public func delay(afterAttempt attempt: Int) -> Duration {
        RetryPolicy(maxAttempts: .max, baseDelay: baseDelay, maxDelay: maxDelay).delay(afterAttempt: max(attempt, 1))
    }

    /// The reason kept on an abandoned effect.
    func reason(_ reason: AbandonReason, after error: any Error) -> String {
        switch reason {
        case .refused: "\(error)"
        case .patience: "still failing past its patience of \(Self.describe(patience)); last error: \(error)"
        }
    }

    /// `24h`, `90m` or `45s`: how an operator writes the patience.
    static func describe(_ duration: Duration) -> String {
        let seconds = duration.components.seconds
        if seconds > 0, seconds % 3600 == 0 { return "\(seconds / 3600)h" }
        if seconds > 0, seconds % 60 == 0 { return "\(seconds / 60)m" }
        return "\(seconds)s"
    }
}

/// Why a side effect was given up: the `reason` label of `side_effects_abandoned_total`.
public enum AbandonReason: String, Sendable, CaseIterable {
    /// GitHub refused for good (a 4xx other than rate limits), or the effect itself cannot be read.
    case refused
    /// Transient failures went on past the patience.
    case patience
}
