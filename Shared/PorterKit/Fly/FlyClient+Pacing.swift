extension FlyClient {
    /// Waits for the slot of a call under `key`: a shared one from the pacer when there is one, else
    /// one from this process's limiter.
    func pace(_ key: String, limit: RateLimiter.Limit) async throws {
        if let pacer, let wait = try await sharedWait(pacer, key: key, limit: limit) {
            if wait > .zero { try await Task.sleep(for: wait) }
            return
        }
        try await limiter.acquire(key, limit: limit)
    }

    /// The pacer's wait, or nil when it failed.
    private func sharedWait(_ pacer: any FlyPacer, key: String, limit: RateLimiter.Limit) async throws -> Duration? {
        do {
            return try await pacer.reserve(key, limit: limit)
        } catch {
            try Task.checkCancellation()
            // A database error must not stop dispatch: this call is paced by this process alone. That
            // keeps it within Fly's limits unless other replicas call for the same app at the same
            // time, and then the worst is a 429, which is retried (a create only after a lookup).
            logger.warning(
                "shared Fly pacing failed; pacing this call locally",
                metadata: ["key": "\(key)", "error": "\(String(reflecting: error))"])
            return nil
        }
    }
}
