import Logging
import PostgresNIO

/// Fly pacing shared through Postgres: one GCRA reservation per call in `fly_pacing`, in one statement.
/// Every process reserving through the same row keeps departures within `limit`, however many there are.
public struct PostgresFlyPacer: FlyPacer {
    /// One reservation, in microseconds since 1970 on the database's clock, which all replicas share.
    public struct Slot: Sendable, Equatable {
        /// The earliest moment the call may go.
        public var start: Int64
        /// When the reservation was made.
        public var reservedAt: Int64

        public var wait: Duration { .microseconds(max(0, start - reservedAt)) }
    }

    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public func reserve(_ key: String, limit: RateLimiter.Limit) async throws -> Duration {
        try await slot(key, limit: limit).wait
    }

    /// Moves the key's theoretical arrival time (`tat`) one interval past the later of itself and now,
    /// under the row's lock. The call's slot starts `burst` intervals before the new `tat`: a rested key
    /// lets `burst` calls go at once, then one per interval. The database's clock is read after the lock
    /// is taken, so a reservation that queued behind others is timed from when it got its turn.
    public func slot(_ key: String, limit: RateLimiter.Limit) async throws -> Slot {
        let interval = Int64((1_000_000 / limit.rate).rounded(.up))
        let rows = try await client.query(
            """
            INSERT INTO fly_pacing AS p (key, tat)
            VALUES (\(key), clock_timestamp() + \(interval) * interval '1 microsecond')
            ON CONFLICT (key) DO UPDATE
            SET tat = greatest(p.tat, clock_timestamp()) + \(interval) * interval '1 microsecond'
            RETURNING (extract(epoch FROM p.tat) * 1e6)::int8, (extract(epoch FROM clock_timestamp()) * 1e6)::int8
            """, logger: logger
        ).collect()
        guard let (tat, now) = try rows.first?.decode((Int64, Int64).self) else {
            throw RepositoryError.missingRow("fly_pacing upsert")
        }
        return Slot(start: tat - Int64(limit.burst) * interval, reservedAt: now)
    }
}
