/// Fly's Machines API limits, enforced per app and action: 1 request per second with bursts up to 3
/// for every action except Get Machine, which allows 5 per second with bursts up to 10
/// (https://community.fly.io/t/understanding-fly-io-api-rate-hard-limits/20636, https://fly.io/docs/machines/api/).
struct FlyEmulatorRateLimiter: Sendable {
    struct Bucket: Sendable {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    /// How late a request may arrive against when its client timed it, and still count as sent on
    /// time: requests cross loopback a few milliseconds apart from when the client timed them, and a
    /// client that paces itself exactly at the limit must not be refused for that. Tests whose clients
    /// share the emulator's loaded process may allow more: a request held up there for a second
    /// lets the bucket sit full while the next one goes on time.
    var latenessAllowance: Duration = .milliseconds(50)

    private var buckets: [String: Bucket] = [:]
    private(set) var refusals = 0

    static func limit(for action: String) -> (rate: Double, burst: Int) {
        action == "get_machine" ? (5, 10) : (1, 3)
    }

    /// Takes a token for `action` on `app`; nil when allowed, else how long to wait.
    mutating func take(action: String, app: String, now: ContinuousClock.Instant) -> Duration? {
        let (rate, burst) = Self.limit(for: action)
        let key = "\(app) \(action)"
        var bucket = buckets[key] ?? Bucket(tokens: Double(burst), updated: now)
        let elapsed = now - bucket.updated
        bucket.tokens = min(Double(burst), bucket.tokens + elapsed.seconds * rate)
        bucket.updated = now
        defer { buckets[key] = bucket }
        guard bucket.tokens >= 1 - latenessAllowance.seconds * rate else {
            refusals += 1
            return .milliseconds(Int64((1 - bucket.tokens) / rate * 1000) + 1)
        }
        bucket.tokens -= 1
        return nil
    }
}

extension Duration {
    /// Whole and fractional seconds.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
