import PorterKit
import PorterTestSupport
import PostgresNIO
import Testing

/// The shared Fly pacer's reservations in Postgres. A slow limit (one call per 100 s) makes every wait
/// it grants far longer than any delay a loaded machine adds, so the assertions never depend on timing.
@Suite struct FlyPacingDatabaseTests {
    static let limit = RateLimiter.Limit(rate: 0.01, burst: 2)
    static let interval: Int64 = 100_000_000

    static func reserve(_ pacer: PostgresFlyPacer, _ key: String, times: Int) async throws -> [PostgresFlyPacer.Slot] {
        try await withThrowingTaskGroup(of: PostgresFlyPacer.Slot.self) { group in
            for _ in 0..<times { group.addTask { try await pacer.slot(key, limit: limit) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }.sorted { $0.start < $1.start }
    }

    @Test func concurrentReservationsOnOneKeyGetSlotsOneIntervalApartAfterTheBurst() async throws {
        try await TestDatabase.withClient { client, _ in
            let pacer = PostgresFlyPacer(client: client, logger: TestDatabase.logger)
            let slots = try await Self.reserve(pacer, "app create_machine", times: 12)

            // Reservations queue on the key's row, so every slot is at least an interval after the one before.
            for (earlier, later) in zip(slots, slots.dropFirst()) {
                #expect(later.start - earlier.start >= Self.interval)
            }
            // A rested key lets the burst go at once; every later call waits its turn.
            #expect(slots.prefix(2).allSatisfy { $0.wait == .zero })
            for (index, slot) in slots.enumerated().dropFirst(2) {
                #expect(slot.wait > .seconds(100 * (index - 2)), "call \(index) waits \(slot.wait)")
            }
        }
    }

    @Test func keysArePacedApartAndAKeyAtRestGrantsAWholeBurstAgain() async throws {
        try await TestDatabase.withClient { client, _ in
            let pacer = PostgresFlyPacer(client: client, logger: TestDatabase.logger)
            let creates = try await Self.reserve(pacer, "app create_machine", times: 3)
            #expect(creates.map { $0.wait > .zero } == [false, false, true])
            // Another operation, or another app, has a bucket of its own.
            let lists = try await Self.reserve(pacer, "app list_machines", times: 2)
            let otherApp = try await Self.reserve(pacer, "other create_machine", times: 2)
            #expect((lists + otherApp).allSatisfy { $0.wait == .zero })

            // A row whose time has passed is a rested key: stale rows need no cleanup.
            try await client.query(
                "UPDATE fly_pacing SET tat = now() - interval '1 hour' WHERE key = 'app create_machine'",
                logger: TestDatabase.logger)
            let again = try await Self.reserve(pacer, "app create_machine", times: 3)
            #expect(again.map { $0.wait > .zero } == [false, false, true])
        }
    }
}
