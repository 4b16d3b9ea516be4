import Foundation
import NIOCore
import PorterEmulators
import PorterKit
import PorterTestSupport
import Testing

/// The Machine a task gets: where, with what, and never two for one attempt.
@Suite struct DispatchMachineTests {
    static let anthropicKey = "sk-ant-api03-alice0123456789abcdefghijklmnop"
    static let userFlyToken = "FlyV1 fm2_alicetoken0123456789abcdefghij"

    /// Alice's task, admitted while every Machine create fails: it waits in dispatching.
    static func dispatchDuringAFlyOutage(_ world: DispatchWorld) async throws -> (UUID, TaskDispatcher) {
        world.emulator.setRole(owner: "acme", repo: "widgets", user: "alice", role: "write")
        try await world.signUp("alice", secrets: ["ANTHROPIC_API_KEY": anthropicKey])
        world.fly.faults.add(
            .init(method: "POST", pathPrefix: "/v1/apps/\(FlyHarness.app)/machines", status: 503, remaining: 100))
        let id = try await world.request(by: "alice")
        let dispatcher = world.dispatcher()
        try await world.settle(dispatcher)
        #expect(try await world.status(id).0 == "dispatching")
        return (id, dispatcher)
    }

    @Test func noSecretReachesTheMachineConfig() async throws {
        try await DispatchWorld.run { world in
            world.emulator.setRole(owner: "acme", repo: "widgets", user: "alice", role: "write")
            world.fly.addToken(Self.userFlyToken, scope: .organization(FlyHarness.org))
            try await world.signUp(
                "alice",
                secrets: [
                    "ANTHROPIC_API_KEY": Self.anthropicKey, "FLY_API_TOKEN": Self.userFlyToken,
                    "GITHUB_TOKEN": "ghp_alice0123456789abcdefghijklmnopqrstuv",
                ], flyApp: "alice-workers", flyOrg: FlyHarness.org)
            let id = try await world.request(by: "alice")
            try await world.settle(world.dispatcher())

            #expect(try await world.status(id).0 == "running")
            let machine = try #require(world.fly.machines.first)
            #expect(
                Set(machine.env.keys) == [
                    "PORTER_TASK_ID", "PORTER_ATTEMPT", "PORTER_CALLBACK_URL", "PORTER_TASK_TOKEN", "PORTER_DEADLINE",
                ])
            let sent = world.fly.receivedRequests.map(\.body).joined(separator: "\n")
            for secret in [
                Self.anthropicKey, Self.userFlyToken, FlyHarness.orgToken, "ghp_", "ghs_", "PRIVATE KEY",
                "k1:", "sk-ant",
            ] {
                #expect(!sent.contains(secret), "\(secret) reached Fly")
            }
            // The one credential it holds is the task's own token, and the attempt vouches for it.
            let token = try #require(machine.env["PORTER_TASK_TOKEN"])
            let stored = try #require(
                try await world.database.query("SELECT token_hash FROM task_attempts WHERE task_id = \(id)").collect()
                    .first?.decode(ByteBuffer.self))
            #expect(TaskToken.matches(token, storedHash: Array(buffer: stored)))
            // Only the Fly token was opened; the provider key stays sealed until the worker asks.
            #expect(world.secrets.accesses.filter { $0.hasPrefix("value:") } == ["value:501:FLY_API_TOKEN"])
        }
    }

    @Test func theRequestersOwnFlyAppIsCreatedInTheirOrgWhenMissing() async throws {
        try await DispatchWorld.run { world in
            world.emulator.setRole(owner: "acme", repo: "widgets", user: "alice", role: "write")
            world.fly.addToken(Self.userFlyToken, scope: .organization(FlyHarness.org))
            try await world.signUp(
                "alice", secrets: ["ANTHROPIC_API_KEY": Self.anthropicKey, "FLY_API_TOKEN": Self.userFlyToken],
                flyApp: "alice-workers", flyOrg: FlyHarness.org)
            let id = try await world.request(by: "alice")
            try await world.settle(world.dispatcher())

            #expect(try await world.status(id).0 == "running")
            #expect(world.fly.appNames.contains("alice-workers"))
            #expect(world.fly.machines.map(\.app) == ["alice-workers"])
        }
    }

    @Test func aRefusedFlyTokenEndsTheTaskWithAReadableReply() async throws {
        try await DispatchWorld.run { world in
            world.emulator.setRole(owner: "acme", repo: "widgets", user: "alice", role: "write")
            try await world.signUp("alice", secrets: ["ANTHROPIC_API_KEY": Self.anthropicKey])
            let id = try await world.request(by: "alice")
            var options = DispatchWorld.Options()
            options.operatorFlyToken = "FlyV1 fm2_revoked0123456789abcdefghijkl"
            try await world.settle(world.dispatcher(options))

            let (status, reason) = try await world.status(id)
            #expect(status == "failed")
            #expect(reason?.contains("Fly.io refused the token") == true)
            #expect(
                world.comments.contains { $0.contains("Porter could not start a worker: Fly.io refused the token") })
            #expect(!world.comments.joined().contains("revoked0123456789"))
            #expect(world.fly.machines.isEmpty)
        }
    }

    @Test func aFlyOutageDelaysTheMachineAndTheRetryUsesTheSameAttemptAndToken() async throws {
        try await DispatchWorld.run { world in
            let (id, dispatcher) = try await Self.dispatchDuringAFlyOutage(world)
            #expect(world.fly.machines.isEmpty)

            world.fly.faults.reset()
            try await world.database.query("UPDATE jobs SET run_after = now()")
            try await world.settle(dispatcher)
            #expect(try await world.status(id).0 == "running")
            let attempts = try await world.database.query(
                "SELECT number, token_hash FROM task_attempts WHERE task_id = \(id)"
            ).collect().map { try $0.decode((Int, ByteBuffer).self) }
            #expect(attempts.map(\.0) == [1])
            let machine = try #require(world.fly.machines.first)
            #expect(machine.name == "porter-\(id.uuidString.lowercased())-1")
            #expect(TaskToken.matches(machine.env["PORTER_TASK_TOKEN"] ?? "", storedHash: Array(buffer: attempts[0].1)))
        }
    }

    @Test func theSpecHoldsTheSanitizedPromptBranchBaseAndDeadline() async throws {
        try await DispatchWorld.run { world in
            world.emulator.setRole(owner: "acme", repo: "widgets", user: "alice", role: "write")
            try await world.signUp("alice", secrets: ["ANTHROPIC_API_KEY": Self.anthropicKey])
            let id = try await world.request(by: "alice")
            try await world.settle(world.dispatcher())

            let state = try #require(
                try await PostgresDispatchRepository(client: world.database, logger: TestDatabase.logger).state(
                    taskID: id))
            let spec = try #require(state.spec)
            #expect(spec.baseBranch == "main")
            #expect(spec.branch == "porter/issue-1-\(id.uuidString.lowercased().prefix(8))")
            #expect(spec.prompt.contains("Flaky login test"))
            #expect(spec.prompt.contains("UNTRUSTED: repository file AGENTS.md"))
            #expect(spec.prompt.contains("Run swift test."))
            #expect(spec.keySource == "user")
            #expect(abs(spec.deadline.timeIntervalSinceNow - 1800) < 60)
        }
    }

    @Test func aTaskCancelledWhileDispatchingNeverGetsAMachine() async throws {
        try await DispatchWorld.run { world in
            let (id, dispatcher) = try await Self.dispatchDuringAFlyOutage(world)

            // The issue is closed, as the gateway records it, before Fly recovers.
            try await world.database.query(
                "UPDATE tasks SET cancel_requested_at = now(), status_reason = 'the issue was closed' WHERE id = \(id)")
            world.fly.faults.reset()
            try await world.database.query("UPDATE jobs SET run_after = now()")
            try await world.settle(dispatcher)
            #expect(try await world.status(id) == ("cancelled", "the issue was closed"))
            #expect(world.fly.machines.isEmpty)
            #expect(world.labels == ["porter:cancelled"])
            #expect(world.comments.contains { $0.contains("Cancelled before a worker started: the issue was closed.") })
        }
    }

    @Test func theLocalRuntimeStartsTheWorkerAsAProcessWithOnlyItsTaskIdentity() async throws {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("porter-env-\(UUID().uuidString)")
        // PORTER_WORKER_COMMAND is split on spaces, as an operator writes it: the worker is a script.
        let worker = FileManager.default.temporaryDirectory.appendingPathComponent("porter-worker-\(UUID().uuidString)")
        try "#!/bin/sh\nprintenv > '\(output.path)'\n".write(to: worker, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: worker.path)
        defer {
            try? FileManager.default.removeItem(at: output)
            try? FileManager.default.removeItem(at: worker)
        }
        try await DispatchWorld.run { world in
            world.emulator.setRole(owner: "acme", repo: "widgets", user: "alice", role: "write")
            try await world.signUp("alice", secrets: ["ANTHROPIC_API_KEY": Self.anthropicKey])
            let id = try await world.request(by: "alice")
            var options = DispatchWorld.Options()
            options.localCommand = [worker.path]
            try await world.settle(world.dispatcher(options))

            #expect(try await world.status(id).0 == "running")
            #expect(world.fly.receivedRequests.isEmpty)
            #expect(try await FlyHarness.eventually { FileManager.default.fileExists(atPath: output.path) })
            try await Task.sleep(for: .milliseconds(100))
            let environment = try String(contentsOf: output, encoding: .utf8)
            #expect(environment.contains("PORTER_TASK_ID=\(id.uuidString.lowercased())"))
            #expect(environment.contains("PORTER_TASK_TOKEN=ptk_"))
            #expect(!environment.contains("sk-ant"))
            let machineID = try await world.database.query(
                "SELECT machine_id FROM task_attempts WHERE task_id = \(id)"
            ).collect().first?.decode(String?.self)
            #expect(machineID?.hasPrefix("local-") == true)
        }
    }
}
