import Foundation
import PorterEmulators
import PorterKit
import Testing

/// One task attempt, one Machine: creates are repeated only after a lookup finds nothing.
@Suite struct FlyCreateIfAbsentTests {
    static let identity = ["porter_task_id": "t-42", "porter_attempt": "1"]

    @Test func aCreateWhoseAnswerIsLostReturnsTheMachineItMade() async throws {
        try await FlyHarness.withEmulator { emulator, url in
            emulator.faults.add(
                .init(
                    method: "POST", pathPrefix: "/v1/apps/\(FlyHarness.app)/machines", status: 502, remaining: 1,
                    afterHandling: true))
            let request = FlyHarness.request(name: "task-t-42-1", metadata: Self.identity)
            let machine = try await FlyHarness.client(url).createMachineIfAbsent(app: FlyHarness.app, request)
            #expect(emulator.faults.injectedCount == 1)
            #expect(emulator.machines.map(\.id) == [machine.id])
            #expect(machine.name == "task-t-42-1")
            #expect(emulator.receivedRequests.filter { $0.action == "create_machine" }.count == 1)
        }
    }

    @Test func aCreateRefusedBeforeTakingEffectIsSentAgainAfterTheLookup() async throws {
        try await FlyHarness.withEmulator { emulator, url in
            emulator.faults.add(
                .init(method: "POST", pathPrefix: "/v1/apps/\(FlyHarness.app)/machines", status: 503, remaining: 2))
            let request = FlyHarness.request(name: "task-t-43-1", metadata: ["porter_task_id": "t-43"])
            let machine = try await FlyHarness.client(url).createMachineIfAbsent(app: FlyHarness.app, request)
            #expect(emulator.machines.map(\.id) == [machine.id])
            let actions = emulator.receivedRequests.map(\.action)
            #expect(
                actions == [
                    "list_machines", "create_machine", "list_machines", "create_machine",
                    "list_machines", "create_machine",
                ])
        }
    }

    @Test func anExistingMachineIsReturnedWithoutCreating() async throws {
        try await FlyHarness.withEmulator { emulator, url in
            let fly = FlyHarness.client(url)
            let request = FlyHarness.request(name: "task-t-44-1", metadata: ["porter_task_id": "t-44"])
            let first = try await fly.createMachineIfAbsent(app: FlyHarness.app, request)
            let second = try await fly.createMachineIfAbsent(app: FlyHarness.app, request)
            #expect(first.id == second.id)
            #expect(emulator.machines.count == 1)
            #expect(emulator.receivedRequests.filter { $0.action == "create_machine" }.count == 1)
        }
    }

    @Test func aNamedMachineThatAlreadyRanAndWasDestroyedIsNotCreatedAgain() async throws {
        try await FlyHarness.withEmulator { emulator, url in
            let fly = FlyHarness.client(url)
            let request = FlyHarness.request(
                image: "quick", name: "task-t-45-1", metadata: ["porter_task_id": "t-45"], autoDestroy: true)
            let first = try await fly.createMachineIfAbsent(app: FlyHarness.app, request)
            #expect(try await FlyHarness.eventually { emulator.machine(first.id)?.state == "destroyed" })
            let again = try await fly.createMachineIfAbsent(app: FlyHarness.app, request)
            #expect(again.id == first.id)
            #expect(emulator.machines.count == 1)
            #expect(emulator.receivedRequests.filter { $0.action == "create_machine" }.count == 1)
        }
    }
}
