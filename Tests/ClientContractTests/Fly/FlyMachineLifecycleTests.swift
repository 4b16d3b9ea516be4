import Foundation
import PorterEmulators
import PorterKit
import Testing

/// Create, get, wait, stop and destroy against the emulator's state machine over real HTTP.
@Suite struct FlyMachineLifecycleTests {
    @Test func waitingForStartedReturnsOnceTheMachineIsStarted() async throws {
        try await FlyHarness.withEmulator(startDelay: .milliseconds(300)) { emulator, url in
            let fly = FlyHarness.client(url)
            let created = try await fly.createMachine(app: FlyHarness.app, FlyHarness.request(name: "w-1"))
            #expect(created.state == .created)
            #expect(created.name == "w-1")
            #expect(emulator.machine(created.id)?.restartPolicy == "no")
            try await fly.wait(app: FlyHarness.app, id: created.id, for: .started, instanceID: created.instanceID)
            let machine = try await fly.machine(app: FlyHarness.app, id: created.id)
            #expect(machine.state == .started)
            #expect(emulator.isProcessRunning(created.id))
        }
    }

    @Test func aWaitThatTimesOutIsAskedAgainUntilTheDeadline() async throws {
        try await FlyHarness.withEmulator { emulator, url in
            let fly = FlyHarness.client(url)
            // No command for this image: the Machine fails and never reaches started. Calls of at
            // most a second against a 4 s deadline leave room for several, however slow the machine.
            let created = try await fly.createMachine(app: FlyHarness.app, FlyHarness.request(image: "missing"))
            await #expect(throws: FlyError.self) {
                try await fly.wait(
                    app: FlyHarness.app, id: created.id, for: .started, deadline: .seconds(4), longestCall: 1)
            }
            #expect(emulator.receivedRequests.filter { $0.action == "wait_machine" }.count >= 2)
            #expect(try await fly.machine(app: FlyHarness.app, id: created.id).state == .failed)
        }
    }

    @Test func a408FromFlyIsFollowedByAnotherWait() async throws {
        try await FlyHarness.withEmulator { emulator, url in
            let fly = FlyHarness.client(url)
            let created = try await fly.createMachine(app: FlyHarness.app, FlyHarness.request())
            emulator.faults.add(
                .init(
                    method: "GET", pathPrefix: "/v1/apps/\(FlyHarness.app)/machines/\(created.id)/wait",
                    status: 408, body: #"{"error":"deadline_exceeded"}"#, remaining: 1))
            try await fly.wait(app: FlyHarness.app, id: created.id, for: .started, deadline: .seconds(20))
            #expect(emulator.faults.injectedCount == 1)
            #expect(emulator.receivedRequests.filter { $0.action == "wait_machine" }.count == 2)
        }
    }

    @Test func stopThenWaitForStoppedEndsTheProcess() async throws {
        try await FlyHarness.withEmulator { emulator, url in
            let fly = FlyHarness.client(url)
            let created = try await fly.createMachine(app: FlyHarness.app, FlyHarness.request())
            try await fly.wait(app: FlyHarness.app, id: created.id, for: .started)
            try await fly.stopMachine(app: FlyHarness.app, id: created.id)
            try await fly.wait(app: FlyHarness.app, id: created.id, for: .stopped, instanceID: created.instanceID)
            #expect(try await fly.machine(app: FlyHarness.app, id: created.id).state == .stopped)
            #expect(!emulator.isProcessRunning(created.id))
        }
    }

    @Test func stopKillsAProcessThatIgnoresTheSignalAfterTheGracePeriod() async throws {
        try await FlyHarness.withEmulator { emulator, url in
            let fly = FlyHarness.client(url)
            let created = try await fly.createMachine(app: FlyHarness.app, FlyHarness.request(image: "stubborn"))
            try await fly.wait(app: FlyHarness.app, id: created.id, for: .started)
            #expect(try await FlyHarness.eventually { emulator.output(of: created.id).stdout.contains("ready") })
            try await fly.stopMachine(app: FlyHarness.app, id: created.id, timeout: .seconds(1))
            try await fly.wait(app: FlyHarness.app, id: created.id, for: .stopped, deadline: .seconds(15))
            #expect(emulator.machine(created.id)?.exitCode == 9)
        }
    }

    @Test func destroyEndsTheProcessAndHidesTheMachineFromLists() async throws {
        try await FlyHarness.withEmulator { emulator, url in
            let fly = FlyHarness.client(url)
            let created = try await fly.createMachine(app: FlyHarness.app, FlyHarness.request())
            try await fly.wait(app: FlyHarness.app, id: created.id, for: .started)
            try await fly.destroyMachine(app: FlyHarness.app, id: created.id)
            try await fly.wait(app: FlyHarness.app, id: created.id, for: .destroyed)
            #expect(!emulator.isProcessRunning(created.id))
            #expect(try await fly.machines(app: FlyHarness.app).isEmpty)
            let all = try await fly.machines(app: FlyHarness.app, includeDeleted: true)
            #expect(all.map(\.id) == [created.id])
            #expect(all.first?.state == .destroyed)
        }
    }

    @Test func aSecondMachineWithTheSameNameIsRefusedWithConflict() async throws {
        try await FlyHarness.withEmulator { emulator, url in
            let fly = FlyHarness.client(url)
            _ = try await fly.createMachine(app: FlyHarness.app, FlyHarness.request(name: "only-one"))
            let error = await #expect(throws: APIError.self) {
                try await fly.createMachine(app: FlyHarness.app, FlyHarness.request(name: "only-one"))
            }
            #expect(error?.statusCode == 409)
            #expect(emulator.machines.count == 1)
        }
    }
}
