/// Paces Fly calls together with other processes, so that several replicas calling Fly for one app
/// stay within Fly's per-app limits together instead of each on its own.
public protocol FlyPacer: Sendable {
    /// Reserves the next slot for a call under `key` within `limit`; the call goes after the returned wait.
    func reserve(_ key: String, limit: RateLimiter.Limit) async throws -> Duration
}
