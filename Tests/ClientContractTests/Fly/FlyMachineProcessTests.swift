import Foundation
import PorterEmulators
import PorterKit
import Testing

/// The emulator really runs a Machine's image as a local process with the Machine's env.
@Suite struct FlyMachineProcessTests {
    @Test func theMachineProcessSeesItsEnvAndDestroyEndsIt() async throws {
        let outFile = FileManager.default.temporaryDirectory.appendingPathComponent("fly-env-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: outFile) }
        try await FlyHarness.withEmulator { emulator, url in
            let fly = FlyHarness.client(url)
            let config = MachineConfig.worker(
                image: "env-writer", cpus: 2, memoryMB: 1024,
                env: ["PORTER_TASK_ID": "task-7", "OUT_FILE": outFile.path], metadata: ["porter_task_id": "task-7"])
            let machine = try await fly.createMachine(app: FlyHarness.app, CreateMachineRequest(config: config))
            try await fly.wait(app: FlyHarness.app, id: machine.id, for: .started)
            #expect(
                try await FlyHarness.eventually {
                    (try? String(contentsOf: outFile, encoding: .utf8)) == "task-7\n"
                })
            #expect(emulator.isProcessRunning(machine.id))
            let seen = try #require(emulator.machine(machine.id))
            #expect(seen.env["PORTER_TASK_ID"] == "task-7")
            #expect(seen.autoDestroy)
            #expect(seen.restartPolicy == "no")
            #expect(!seen.configJSON.contains(FlyHarness.orgToken))
            #expect(!seen.configJSON.contains("fm2_"))

            try await fly.destroyMachine(app: FlyHarness.app, id: machine.id)
            try await fly.wait(app: FlyHarness.app, id: machine.id, for: .destroyed)
            #expect(!emulator.isProcessRunning(machine.id))
        }
    }

    @Test func anAutoDestroyMachineWhoseProcessExitsEndsUpDestroyed() async throws {
        try await FlyHarness.withEmulator { emulator, url in
            let fly = FlyHarness.client(url)
            let machine = try await fly.createMachine(
                app: FlyHarness.app, FlyHarness.request(image: "quick", autoDestroy: true))
            try await fly.wait(app: FlyHarness.app, id: machine.id, for: .destroyed, deadline: .seconds(15))
            #expect(try await fly.machine(app: FlyHarness.app, id: machine.id).state == .destroyed)
            #expect(emulator.output(of: machine.id).stdout == "finished\n")
            #expect(emulator.machine(machine.id)?.exitCode == 0)
        }
    }

    @Test func aMachineWithRestartPolicyNoStaysStoppedAfterItsProcessExits() async throws {
        try await FlyHarness.withEmulator { emulator, url in
            let fly = FlyHarness.client(url)
            let machine = try await fly.createMachine(app: FlyHarness.app, FlyHarness.request(image: "quick"))
            try await fly.wait(app: FlyHarness.app, id: machine.id, for: .stopped, deadline: .seconds(15))
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await fly.machine(app: FlyHarness.app, id: machine.id).state == .stopped)
            #expect(emulator.output(of: machine.id).stdout == "finished\n")
        }
    }
}
