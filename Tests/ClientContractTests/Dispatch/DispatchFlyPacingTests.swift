import Foundation
import PorterEmulators
import PorterKit
import PorterTestSupport
import Testing

/// Dispatcher replicas pace their Fly calls together through Postgres, so together they stay within
/// Fly's per-app limits instead of each sending at Fly's whole rate.
@Suite struct DispatchFlyPacingTests {
    static let replicas = 3
    /// Jobs each replica works on at once, as its claim loop would.
    static let slotsPerReplica = 10
    static let users = 6
    /// The default per-user limit, so every task is admitted at once and all of them race for Fly.
    static let tasksPerUser = 5

    @Test func threeDispatchersGetNo429FromFlyAndOneMachinePerAttempt() async throws {
        try await DispatchWorld.run(flyRateLimits: true) { world in
            let tasks = try await Self.seed(world)
            // The replicas and the emulator share this test's process on a loaded machine, where a request
            // can sit a second or more before the emulator sees it; Fly's own limit stays what it is.
            // Replicas pacing each on its own still send at three times the rate: 28 refusals over these
            // 30 creates with this allowance (seen with `sharedFlyPacing` off).
            world.fly.rateLimitLatenessAllowance = .seconds(2)
            // Each replica has its own WorkerTargets, so its own in-process limiter: they share only Postgres.
            let dispatchers = (0..<Self.replicas).map { replica in
                var options = DispatchWorld.Options()
                options.owner = "replica-\(replica)"
                options.image = "quick"
                return world.dispatcher(options)
            }
            let handled = try await Self.runConcurrently(dispatchers, world)

            let statuses = try await world.database.query("SELECT status, count(*) FROM tasks GROUP BY status")
                .collect().map { try $0.decode((String, Int).self) }
            #expect(statuses.map { "\($0.0): \($0.1)" } == ["running: \(tasks.count)"])
            #expect(world.fly.rateLimitRefusals == 0)
            #expect(world.fly.receivedRequests.filter { $0.action == "create_machine" }.count == tasks.count)

            // One attempt per task, one Machine per attempt, and the attempt knows its Machine.
            let attempts = try await world.database.query(
                "SELECT task_id, number, machine_name, machine_id FROM task_attempts"
            ).collect().map { try $0.decode((UUID, Int, String, String?).self) }
            #expect(Set(attempts.map(\.0)) == Set(tasks) && attempts.count == tasks.count)
            #expect(attempts.allSatisfy { $0.1 == 1 })
            let machines = world.fly.machines
            #expect(machines.count == tasks.count)
            #expect(Set(machines.map(\.name)) == Set(attempts.map(\.2)))
            let idByName = Dictionary(machines.map { ($0.name, $0.id) }) { first, _ in first }
            for (_, _, name, machineID) in attempts {
                #expect(machineID != nil && idByName[name] == machineID, "attempt \(name) has \(machineID ?? "none")")
            }

            // The replicas really raced: two of them hold at most 20 jobs at once and creates go out one a
            // second, so the third claims some long before the others could have finished all 30.
            #expect(handled.allSatisfy { $0 > 0 }, "jobs per replica: \(handled)")
            let keys = try await world.database.query("SELECT key FROM fly_pacing").collect().map {
                try $0.decode(String.self)
            }
            #expect(Set(keys).isSuperset(of: ["\(FlyHarness.app) create_machine", "\(FlyHarness.app) list_machines"]))
        }
    }

    /// Users with write access and an Anthropic key, each with `tasksPerUser` tasks on issues of their own.
    static func seed(_ world: DispatchWorld) async throws -> [UUID] {
        var tasks: [UUID] = []
        for user in 0..<users {
            let login = "user\(user)"
            let id = Int64(700 + user)
            world.emulator.setRole(owner: "acme", repo: "widgets", user: login, role: "write")
            try await world.signUp(login, id: id, secrets: ["ANTHROPIC_API_KEY": "sk-ant-\(login)-0123456789abcdef"])
            for index in 0..<tasksPerUser {
                let issue = world.emulator.addIssue(
                    owner: "acme", repo: "widgets", title: "Issue \(index) of \(login)", author: login)
                tasks.append(try await world.request(by: login, issue: issue, userID: id))
            }
        }
        return tasks
    }

    /// Runs every replica with `slotsPerReplica` jobs in hand at once until no task is left queued or
    /// dispatching; returns how many jobs each replica handled.
    static func runConcurrently(_ dispatchers: [TaskDispatcher], _ world: DispatchWorld) async throws -> [Int] {
        let deadline = ContinuousClock.now + .seconds(240)
        return try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            for (replica, dispatcher) in dispatchers.enumerated() {
                for _ in 0..<slotsPerReplica {
                    group.addTask {
                        var handled = 0
                        while ContinuousClock.now < deadline {
                            if try await dispatcher.runOne() {
                                handled += 1
                            } else if try await unsettled(world) == 0 {
                                break
                            } else {
                                try await Task.sleep(for: .milliseconds(100))
                            }
                        }
                        return (replica, handled)
                    }
                }
            }
            var handled = Array(repeating: 0, count: dispatchers.count)
            for try await (replica, count) in group { handled[replica] += count }
            return handled
        }
    }

    static func unsettled(_ world: DispatchWorld) async throws -> Int {
        try await world.database.query("SELECT count(*) FROM tasks WHERE status IN ('queued', 'dispatching')")
            .collect().first?.decode(Int.self) ?? 0
    }
}
