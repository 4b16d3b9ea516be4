import Foundation
import PorterEmulators
import PorterKit
import Synchronization
import Testing

/// A Fly client given a shared pacer waits for its slots, before every try, and paces on its own
/// while the pacer fails.
@Suite struct FlyPacingClientTests {
    /// Grants every reservation after `wait` (or fails them all) and remembers the keys asked for.
    final class RecordingPacer: FlyPacer {
        let wait: Duration
        let fails: Bool
        private let reserved = Mutex<[String]>([])

        init(wait: Duration = .zero, fails: Bool = false) {
            self.wait = wait
            self.fails = fails
        }

        var keys: [String] { reserved.withLock { $0 } }

        func reserve(_ key: String, limit: RateLimiter.Limit) async throws -> Duration {
            reserved.withLock { $0.append(key) }
            if fails { throw TestFailure("the database is down") }
            return wait
        }
    }

    struct TestFailure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    @Test func everyTryReservesASharedSlotAndTheLocalLimiterStaysUnused() async throws {
        try await FlyHarness.withEmulator { emulator, url in
            emulator.faults.add(
                .init(method: "POST", pathPrefix: "/v1/apps/\(FlyHarness.app)/machines", status: 503, remaining: 1))
            emulator.faults.add(
                .init(method: "GET", pathPrefix: "/v1/apps/\(FlyHarness.app)/machines", status: 503, remaining: 1))
            let pacer = RecordingPacer()
            let limiter = RateLimiter()
            let fly = FlyHarness.client(url, limiter: limiter, pacer: pacer)
            _ = try await fly.createMachineIfAbsent(app: FlyHarness.app, FlyHarness.request(name: "paced-1"))

            // The failed lookup and the failed create were each tried again, each after a reservation.
            let app = FlyHarness.app
            #expect(emulator.receivedRequests.map(\.action) == pacer.keys.map { String($0.dropFirst(app.count + 1)) })
            #expect(
                pacer.keys == [
                    "\(app) list_machines", "\(app) list_machines", "\(app) create_machine",
                    "\(app) list_machines", "\(app) create_machine",
                ])
            #expect(await limiter.trackedKeys == 0)
        }
    }

    @Test func aCallWaitsForItsSharedSlot() async throws {
        try await FlyHarness.withEmulator { emulator, url in
            let fly = FlyHarness.client(url, pacer: RecordingPacer(wait: .milliseconds(300)))
            let start = ContinuousClock.now
            _ = try await fly.machines(app: FlyHarness.app)
            #expect(ContinuousClock.now - start >= .milliseconds(300))
            #expect(emulator.receivedRequests.count == 1)
        }
    }

    @Test func aFailingPacerFallsBackToLocalPacingAndTheCallGoesThrough() async throws {
        try await FlyHarness.withEmulator(rateLimits: true) { emulator, url in
            let pacer = RecordingPacer(fails: true)
            let limiter = RateLimiter()
            let fly = FlyHarness.client(url, limiter: limiter, pacer: pacer)
            let machine = try await fly.createMachineIfAbsent(app: FlyHarness.app, FlyHarness.request(name: "local-1"))

            #expect(emulator.machines.map(\.id) == [machine.id])
            #expect(pacer.keys.count == 2)
            // The lookup and the create each took a token from this process's own buckets.
            #expect(await limiter.trackedKeys == 2)
        }
    }
}
