import Foundation
import PorterEmulators
import PorterKit
import Testing

/// The dispatcher's Fly launcher against the Fly emulator: one Machine per attempt, nothing secret in it.
@Suite struct FlyWorkerLauncherTests {
    static let shape = MachineShape(image: "sleeper", cpus: 2, memoryMB: 2048, region: "fra")

    static func launch(_ taskID: UUID = UUID(), attempt: Int = 1) -> WorkerLaunch {
        WorkerLaunch(
            taskID: taskID, attempt: attempt, machineName: TaskAttempt.machineName(taskID: taskID, number: attempt),
            callbackURL: URL(string: "https://porter.example.com/callbacks")!, token: TaskToken.generate(),
            deadline: Date().addingTimeInterval(1800))
    }

    static func launcher(_ url: URL) -> FlyWorkerLauncher {
        FlyWorkerLauncher(fly: FlyHarness.client(url), app: FlyHarness.app, image: "sleeper", shape: shape)
    }

    @Test func aLaunchCreatesOneNamedTaggedSelfDestroyingMachine() async throws {
        try await FlyHarness.withEmulator { emulator, url in
            let launch = Self.launch()
            let id = try await Self.launcher(url).launch(launch)
            let machine = try #require(emulator.machines.first { $0.id == id })
            #expect(machine.name == launch.machineName)
            #expect(machine.metadata == launch.metadata)
            #expect(machine.autoDestroy)
            #expect(machine.restartPolicy == "no")
            #expect(machine.env == launch.environment)
            #expect(machine.configJSON.contains(#""memory_mb":2048"#))
        }
    }

    @Test func launchingTheSameAttemptAgainReturnsTheSameMachine() async throws {
        try await FlyHarness.withEmulator { emulator, url in
            let launch = Self.launch()
            let first = try await Self.launcher(url).launch(launch)
            let second = try await Self.launcher(url).launch(launch)
            #expect(first == second)
            #expect(emulator.machines.filter { $0.name == launch.machineName }.count == 1)
        }
    }

    @Test func aLaunchWhoseAnswerIsLostStillMakesOneMachine() async throws {
        try await FlyHarness.withEmulator { emulator, url in
            emulator.faults.add(
                .init(
                    method: "POST", pathPrefix: "/v1/apps/\(FlyHarness.app)/machines", status: 502, remaining: 1,
                    afterHandling: true))
            let launch = Self.launch()
            let id = try await Self.launcher(url).launch(launch)
            #expect(emulator.machines.filter { $0.name == launch.machineName }.map(\.id) == [id])
            #expect(emulator.faults.injectedCount == 1)
        }
    }

    @Test func noLongLivedSecretReachesFly() async throws {
        try await FlyHarness.withEmulator { emulator, url in
            let launch = Self.launch()
            _ = try await Self.launcher(url).launch(launch)
            let bodies = emulator.receivedRequests.map(\.body).joined(separator: "\n")
            #expect(
                Set(try #require(emulator.machines.first).env.keys) == [
                    "PORTER_TASK_ID", "PORTER_ATTEMPT", "PORTER_CALLBACK_URL", "PORTER_TASK_TOKEN", "PORTER_DEADLINE",
                ])
            for secret in [FlyHarness.orgToken, "PRIVATE KEY", "sk-ant-", "ghs_", "gho_", "GITHUB_", "API_KEY"] {
                #expect(!bodies.contains(secret), "\(secret) reached Fly")
            }
            #expect(bodies.contains(launch.token.value))
        }
    }
}
