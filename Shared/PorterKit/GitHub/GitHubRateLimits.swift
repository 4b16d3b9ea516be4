import Foundation
import NIOHTTP1

/// What GitHub's rate-limit headers said last, per credential: a client that has used up its quota
/// waits for the reset instead of spending calls on refusals. Also records the headers as gauges.
actor GitHubRateLimits {
    private var exhaustedUntil: [String: Date] = [:]
    private let metrics: ServiceMetrics?

    init(metrics: ServiceMetrics?) { self.metrics = metrics }

    func observe(_ headers: HTTPHeaders, key: String) {
        guard let remaining = headers.first(name: "x-ratelimit-remaining").flatMap(Int.init) else { return }
        let reset = headers.first(name: "x-ratelimit-reset").flatMap(TimeInterval.init).map {
            Date(timeIntervalSince1970: $0)
        }
        if remaining == 0, let reset { exhaustedUntil[key] = reset } else { exhaustedUntil[key] = nil }
        guard let metrics else { return }
        let labels = [("resource", headers.first(name: "x-ratelimit-resource") ?? "core")]
        metrics.gauge(
            "github_rate_limit", unit: "remaining", help: "Calls left in GitHub's current rate-limit window.",
            labels: labels
        ).set(Double(remaining))
        if let limit = headers.first(name: "x-ratelimit-limit").flatMap(Double.init) {
            metrics.gauge("github_rate_limit", unit: "limit", help: "GitHub's rate limit per window.", labels: labels)
                .set(limit)
        }
        if let reset {
            metrics.gauge(
                "github_rate_limit_reset", unit: "timestamp_seconds", help: "When GitHub's rate-limit window resets.",
                labels: labels
            ).set(reset.timeIntervalSince1970)
        }
    }

    /// Seconds until the reset, when the last answer under `key` said the quota was used up: zero or
    /// less once the reset passed (a refusal that took long to arrive); nil when no quota is used up.
    func primaryReset(for key: String, now: Date = Date()) -> TimeInterval? {
        exhaustedUntil[key].map { $0.timeIntervalSince(now) }
    }

    /// How long to hold the next call under `key`, when the quota is used up.
    func wait(for key: String, now: Date = Date()) -> TimeInterval? {
        guard let until = exhaustedUntil[key] else { return nil }
        let wait = until.timeIntervalSince(now)
        if wait <= 0 { exhaustedUntil[key] = nil }
        return wait > 0 ? wait : nil
    }
}
