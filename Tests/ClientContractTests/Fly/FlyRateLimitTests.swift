import Foundation
import PorterEmulators
import PorterKit
import Synchronization
import Testing

/// Fly answers 429 past 1 request/s (burst 3) per action, 5/s (burst 10) for Get Machine.
@Suite struct FlyRateLimitTests {
    @Test func a429StormEndsInSuccessWithoutTheClientGoingOverTheLimits() async throws {
        try await FlyHarness.withEmulator(rateLimits: true) { emulator, url in
            let app = FlyHarness.app
            emulator.faults.add(
                .init(
                    method: "POST", pathPrefix: "/v1/apps/\(app)/machines", status: 429,
                    headers: ["Retry-After": "1"], remaining: 2))
            let grants = GrantLog()
            let fly = FlyHarness.client(url, pacer: grants)
            let created = try await withThrowingTaskGroup(of: Machine.self) { group in
                for index in 0..<5 {
                    group.addTask {
                        try await fly.createMachineIfAbsent(
                            app: app, FlyHarness.request(name: "storm-\(index)", metadata: ["n": "\(index)"]))
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(Set(created.map(\.name)) == Set((0..<5).map { "storm-\($0)" }))
            #expect(emulator.machines.count == 5)

            let machineID = created[0].id
            emulator.faults.add(
                .init(
                    method: "GET", pathPrefix: "/v1/apps/\(app)/machines/\(machineID)", status: 429,
                    headers: ["Retry-After": "1"], remaining: 4))
            let states = try await withThrowingTaskGroup(of: MachineState.self) { group in
                for _ in 0..<25 { group.addTask { try await fly.machine(app: app, id: machineID).state } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(states.count == 25)
            #expect(emulator.faults.injectedCount == 6)

            // Fly's bucket admits its burst plus one second's refill in any one second (4 creates or
            // lists, 15 Get Machines); the client lets go of one fewer at once, so at most 3 and 14, for
            // arrival jitter. Counted where the client decides, by the moments its limiter gave each
            // try its token: what the emulator sees also holds a loaded machine's scheduling, which can
            // bunch requests that left evenly.
            #expect(grants.busiestSecond(key: "\(app) create_machine") <= 3)
            #expect(grants.busiestSecond(key: "\(app) list_machines") <= 3)
            #expect(grants.busiestSecond(key: "\(app) get_machine") <= 14)
            #expect(grants.count(key: "\(app) get_machine") >= 29, "every try of Get Machine was paced")
            let received = emulator.receivedRequests
            #expect(received.filter { $0.action == "get_machine" }.count >= 29)
        }
    }

    @Test func theEmulatorRefusesBurstsOverTheLimitWithRetryAfter() async throws {
        try await FlyHarness.withEmulator(rateLimits: true) { emulator, url in
            // A client with no retries and its own limiter per call shows the emulator's own answer.
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<10 {
                    group.addTask {
                        let fly = FlyClient(
                            baseURL: url, token: Secret(FlyHarness.orgToken), retry: .none,
                            logger: .init(label: "t"))
                        do {
                            _ = try await fly.machines(app: FlyHarness.app)
                            return 200
                        } catch let error as APIError {
                            return error.statusCode ?? 0
                        }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            // A burst of 3 passes at once; the bucket refills at 5 a second, so under load a request
            // or two more may pass while the ten arrive. Most are refused, and each refusal counted.
            let passed = statuses.filter { $0 == 200 }.count
            let refused = statuses.filter { $0 == 429 }.count
            #expect(passed >= 3 && passed <= 6, "\(statuses)")
            #expect(passed + refused == 10)
            #expect(emulator.rateLimitRefusals == refused)
        }
    }
}

/// Paces as a client alone does (its own `RateLimiter`) and keeps the moment each try got its token.
private final class GrantLog: FlyPacer {
    private let limiter = RateLimiter()
    private let grants = Mutex<[(key: String, at: ContinuousClock.Instant)]>([])

    func reserve(_ key: String, limit: RateLimiter.Limit) async throws -> Duration {
        let granted = try await limiter.acquire(key, limit: limit)
        grants.withLock { $0.append((key, granted)) }
        return .zero
    }

    func count(key: String) -> Int { grants.withLock { $0.filter { $0.key == key }.count } }

    /// The most tokens given for `key` within any one second.
    func busiestSecond(key: String) -> Int {
        let times = grants.withLock { $0.filter { $0.key == key }.map(\.at) }.sorted()
        return times.indices.map { start in
            times[start...].prefix { $0 - times[start] < .seconds(1) }.count
        }.max() ?? 0
    }
}
