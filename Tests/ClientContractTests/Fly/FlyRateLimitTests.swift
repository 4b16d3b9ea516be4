import Foundation
import PorterEmulators
import PorterKit
import Testing

/// Fly answers 429 past 1 request/s (burst 3) per action, 5/s (burst 10) for Get Machine.
@Suite struct FlyRateLimitTests {
    /// The most requests of `action` the emulator received within any one second.
    static func busiestSecond(_ requests: [FlyEmulator.ReceivedRequest], action: String) -> Int {
        let times = requests.filter { $0.action == action }.map(\.receivedAt).sorted()
        return times.indices.map { start in
            times[start...].prefix { $0 - times[start] < .seconds(1) }.count
        }.max() ?? 0
    }

    @Test func a429StormEndsInSuccessWithoutTheClientGoingOverTheLimits() async throws {
        try await FlyHarness.withEmulator(rateLimits: true) { emulator, url in
            let app = FlyHarness.app
            emulator.faults.add(
                .init(
                    method: "POST", pathPrefix: "/v1/apps/\(app)/machines", status: 429,
                    headers: ["Retry-After": "1"], remaining: 2))
            let fly = FlyHarness.client(url)
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

            let received = emulator.receivedRequests
            // Fly's bucket admits its burst plus one second's refill in any one second; the client keeps one
            // request of slack below that for arrival jitter.
            #expect(Self.busiestSecond(received, action: "create_machine") <= 4)
            #expect(Self.busiestSecond(received, action: "list_machines") <= 4)
            #expect(Self.busiestSecond(received, action: "get_machine") <= 15)
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
