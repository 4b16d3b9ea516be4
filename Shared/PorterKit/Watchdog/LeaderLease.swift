import Foundation
import Logging
import PostgresNIO
import Synchronization

/// Leadership through a lease row in `leader_leases`, renewed every third of its length. A replica
/// leads from a successful renewal until `ttl - margin` after it *sent* that renewal, measured on its
/// own monotonic clock, while the row says the lease runs `ttl` from when the database wrote it. So a
/// leader that can no longer renew (its database connection lost, its process paused) stops acting
/// at least `margin` before the lease expires and another replica may take it.
public final class LeaderLease: Leadership, Sendable {
    public let name: String
    /// Who this replica is in the lease row and in `watchdog_actions`.
    public let holder: String
    let ttl: Duration
    let margin: Duration
    let client: PostgresClient
    let logger: Logger
    private let validUntil = Mutex<ContinuousClock.Instant?>(nil)

    public init(
        name: String = "watchdog", holder: String, ttl: Duration = .seconds(15), margin: Duration = .seconds(3),
        client: PostgresClient, logger: Logger
    ) {
        self.name = name
        self.holder = holder
        self.ttl = ttl
        self.margin = margin
        self.client = client
        self.logger = logger
    }

    public var isLeading: Bool {
        validUntil.withLock { until in until.map { ContinuousClock.now < $0 } ?? false }
    }

    /// Takes the lease if it is free or expired, or renews it; returns whether this replica leads now.
    @discardableResult
    public func renew() async -> Bool {
        let sent = ContinuousClock.now
        do {
            let held = try await client.query(
                """
                INSERT INTO leader_leases (name, holder, expires_at)
                VALUES (\(name), \(holder), now() + \(PostgresJobQueue.interval(ttl))::interval)
                ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
                WHERE leader_leases.holder = EXCLUDED.holder OR leader_leases.expires_at < now()
                RETURNING holder
                """, logger: logger
            ).collect()
            let leads = !held.isEmpty
            validUntil.withLock { $0 = leads ? sent + ttl - margin : nil }
            return leads
        } catch {
            // Leadership runs out by itself at `validUntil`; nothing to undo here.
            logger.warning("could not renew the watchdog lease", metadata: ["error": "\(String(reflecting: error))"])
            return isLeading
        }
    }

    /// Gives the lease up at shutdown, so another replica need not wait for it to expire.
    public func release() async {
        validUntil.withLock { $0 = nil }
        _ = try? await client.query(
            "DELETE FROM leader_leases WHERE name = \(name) AND holder = \(holder)", logger: logger)
    }

    /// How often a replica renews, or tries to take the lease.
    public var renewInterval: Duration { ttl / 3 }
}
