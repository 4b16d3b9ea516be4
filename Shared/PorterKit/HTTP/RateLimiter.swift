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
        var limit: Limit

        /// A bucket that has refilled is the same as no bucket.
        func isFull(at now: ContinuousClock.Instant) -> Bool {
            tokens + (now - updated).seconds * limit.rate >= Double(limit.burst)
        }
    }

    private var buckets: [String: Bucket] = [:]
    private var acquisitions = 0
    private let clock = ContinuousClock()

    /// How many keys hold a partly drained bucket; refilled ones are dropped as calls go by.
    public var trackedKeys: Int { buckets.count }

    public init() {}

    /// Waits until a call under `key` may go out, then takes its token; returns the moment it was
    /// taken, by which the bucket was counted.
    @discardableResult
    public func acquire(_ key: String, limit: Limit) async throws -> ContinuousClock.Instant {
        while true {
            let now = clock.now
            var bucket = buckets[key] ?? Bucket(tokens: Double(limit.burst), updated: now, limit: limit)
            bucket.limit = limit
            bucket.tokens = min(Double(limit.burst), bucket.tokens + (now - bucket.updated).seconds * limit.rate)
            bucket.updated = now
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                buckets[key] = bucket
                sweep(now)
                return now
            }
            buckets[key] = bucket
            let wait = (1 - bucket.tokens) / limit.rate
            try await Task.sleep(for: .milliseconds(Int64(wait * 1000) + 1))
        }
    }

    /// Every so often, forgets buckets that have refilled, so keys (apps, installations) that are
    /// no longer called cost no memory.
    private func sweep(_ now: ContinuousClock.Instant) {
        acquisitions += 1
        guard acquisitions % 256 == 0 else { return }
        buckets = buckets.filter { !$0.value.isFull(at: now) }
    }
}
