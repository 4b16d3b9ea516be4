/// A token bucket per key: `rate` calls per second on average, up to `burst` at once. Callers wait
/// for a token instead of being refused, so a client never exceeds an API's documented limit.
public actor RateLimiter {
    public struct Limit: Sendable {
        public var rate: Double
        public var burst: Int

        public init(rate: Double, burst: Int) {
            self.rate = rate
            self.burst = burst
        }
    }

    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    private var buckets: [String: Bucket] = [:]
    private let clock = ContinuousClock()

    public init() {}

    /// Waits until a call under `key` may go out, then takes its token.
    public func acquire(_ key: String, limit: Limit) async throws {
        while true {
            let now = clock.now
            var bucket = buckets[key] ?? Bucket(tokens: Double(limit.burst), updated: now)
            let elapsed = now - bucket.updated
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            bucket.tokens = min(Double(limit.burst), bucket.tokens + seconds * limit.rate)
            bucket.updated = now
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                buckets[key] = bucket
                return
            }
            buckets[key] = bucket
            let wait = (1 - bucket.tokens) / limit.rate
            try await Task.sleep(for: .milliseconds(Int64(wait * 1000) + 1))
        }
    }
}
