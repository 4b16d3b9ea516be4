import Foundation
import PorterEmulators
import PorterKit
import Testing

/// A worker that is not root (`scripts/dev` on a developer's machine) runs the agent as itself only
/// when told to (`PORTER_AGENT_ISOLATION=none`, `local-worker --unisolated`), and then still carries a
/// task through to its pull request; untold, it refuses to start and says how.
@Suite struct WorkerUnisolatedTests {
    /// The environment a dispatcher gives a worker, for a task nobody answers for.
    static let taskEnvironment = [
        "PORTER_TASK_ID": "0f0f0f0f-0000-4000-8000-000000000001", "PORTER_ATTEMPT": "1",
        "PORTER_CALLBACK_URL": "http://127.0.0.1:9", "PORTER_TASK_TOKEN": "ptk_" + String(repeating: "y", count: 43),
        "PORTER_DEADLINE": "2099-01-01T00:00:00Z",
    ]

    static let asNobody = ["/usr/bin/env", "setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"]

    @Test func aWorkerThatIsNotRootRunsTheAgentAsItselfWhenToldAndOpensThePullRequest() async throws {
        var options = CallbackWorld.Options()
        options.unisolated = true
        try await CallbackWorld.run(options) { world in
            let id = try await world.start(script: "id -un > WHO.txt\necho 'Said who ran it.'")
            let (status, reason) = try await world.finish(id)
            let log = world.workerLog(id)
            #expect(status == "succeeded", "\(reason ?? "") \(log)")
            #expect(log.contains("PORTER_AGENT_ISOLATION=none: the agent runs as nobody"), "\(log)")
            let pull = try #require(
                world.emulator.pullRequests(owner: "acme", repo: "widgets").first, "no pull request:\n\(log)")
            #expect(
                await world.emulator.fileText(owner: "acme", repo: "widgets", path: "WHO.txt", ref: pull.head)
                    == "nobody\n")
        }
    }

    @Test func aWorkerThatIsNotRootAndNotToldRefusesToStartAndSaysHow() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("porter-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let (status, output) = try await WorkerEntrypointTests.run(
            Self.asNobody + [try CallbackWorld.readableWorkerCopy(in: folder)],
            environment: Self.taskEnvironment.merging(["PORTER_AGENT_USER": "nobody"]) { $1 })
        #expect(status == 2, "\(output)")
        #expect(output.contains("the worker must run as root"), "\(output)")
        #expect(output.contains("PORTER_AGENT_ISOLATION=none runs the agent as this user instead"), "\(output)")
    }

    @Test func rootToldToRunWithoutIsolationRefusesToStart() async throws {
        let (status, output) = try await WorkerEntrypointTests.run(
            [CallbackWorld.entrypoint],
            environment: Self.taskEnvironment.merging(["PORTER_AGENT_ISOLATION": "none"]) { $1 })
        #expect(status == 2, "\(output)")
        #expect(output.contains("PORTER_AGENT_ISOLATION=none is for a worker that is not root"), "\(output)")
        let (badStatus, badOutput) = try await WorkerEntrypointTests.run(
            [CallbackWorld.entrypoint],
            environment: Self.taskEnvironment.merging(["PORTER_AGENT_ISOLATION": "partly"]) { $1 })
        #expect(badStatus == 2)
        #expect(badOutput.contains("PORTER_AGENT_ISOLATION must be user or none"), "\(badOutput)")
    }

    @Test func theLocalWorkerTakesOnlyItsOneFlag() async throws {
        let localWorker = URL(fileURLWithPath: CallbackWorld.entrypoint).deletingLastPathComponent()
            .appendingPathComponent("local-worker").path
        let (status, output) = try await WorkerEntrypointTests.run(
            [localWorker, "--isolated-enough"], environment: Self.taskEnvironment)
        #expect(status == 2)
        #expect(output.contains("unknown argument --isolated-enough (only --unisolated)"), "\(output)")
    }
}
