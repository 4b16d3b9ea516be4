import Foundation
import PorterEmulators
import PorterKit
import PorterTestSupport
import Testing

/// Stops and infrastructure retries with the real worker entrypoint: a dispatcher, a live
/// callback-receiver, the Fly emulator running the worker, and the git emulator.
@Suite(.timeLimit(.minutes(4))) struct WorkerControlTests {
    @Test func aStoppedWorkerReportsAndItsTaskEndsCancelledSayingWho() async throws {
        var options = CallbackWorld.Options()
        options.stopGrace = .seconds(60)
        try await CallbackWorld.run(options) { [options] world in
            let id = try await world.start(script: "sleep 60", options: options)
            // Once the worker heartbeats it has its spec; a stop before that is the booting case below.
            try await world.dispatch.settle(world.dispatcher(options: options)) {
                try await world.database.query(
                    "SELECT last_heartbeat_at IS NOT NULL FROM task_attempts WHERE task_id = \(id)"
                ).collect().first?.decode(Bool.self) == true
            }
            try await world.dispatch.command(.stop, by: "alice")
            let dispatcher = world.dispatcher(options: options)
            try await world.dispatch.settle(dispatcher) { try await world.dispatch.status(id).0 == "cancelled" }
            try await world.deliver()

            #expect(try await world.dispatch.status(id).1 == "stopped by @alice")
            let status = try #require(world.dispatch.comments.first { $0.contains("🛑 cancelled") })
            #expect(status.contains("Stopped by @alice."))
            #expect(!status.contains("did not stop by itself"), "the worker stopped and reported by itself")
            #expect(world.emulator.pullRequests(owner: "acme", repo: "widgets").isEmpty)
        }
    }

    @Test func aReportAfterTheWorkerWasStoppedChangesNothing() async throws {
        var options = CallbackWorld.Options()
        options.stopGrace = .seconds(1)
        try await CallbackWorld.run(options) { [options] world in
            // The sleeper never reports: after the grace period its Machine is stopped and destroyed.
            let id = try await world.start(script: "true", options: options, image: "sleeper")
            try await world.dispatch.command(.stop, by: "alice")
            let dispatcher = world.dispatcher(options: options, image: "sleeper")
            try await world.dispatch.settle(dispatcher) { try await world.dispatch.status(id).0 == "cancelled" }
            try await world.deliver()
            #expect(world.dispatch.fly.machines.allSatisfy { ["destroying", "destroyed"].contains($0.state) })
            let comments = world.dispatch.comments

            let token = try await world.token(id)
            let branch = try await world.database.query("SELECT branch FROM tasks WHERE id = \(id)").collect()
                .first!.decode(String.self)
            let late = try await world.call(
                .POST, "/callbacks/complete", token: token,
                json: """
                    {"task_id":"\(id.uuidString.lowercased())","attempt":1,"status":"succeeded",
                     "branch":"\(branch)","head_sha":"0123456789abcdef0123456789abcdef01234567"}
                    """)
            #expect(late.status == 200)
            let answer = try JSONSerialization.jsonObject(with: Data(late.body.utf8)) as? [String: Any]
            #expect(answer?["task_status"] as? String == "cancelled")
            #expect(answer?["pull_request"] as? Bool == false)
            try await world.deliver()
            #expect(try await world.dispatch.status(id).0 == "cancelled")
            #expect(world.emulator.pullRequests(owner: "acme", repo: "widgets").isEmpty)
            #expect(world.dispatch.comments == comments)
        }
    }

    @Test func anIssueClosedWhileTheMachineBootsEndsTheTaskCancelled() async throws {
        var options = CallbackWorld.Options()
        // The worker cannot get its spec until the issue is closed; then it gets 409 and exits without
        // reporting, and only the stop's grace period ends the task. The grace is long enough for a
        // loaded machine to boot the worker and let it ask: a Machine removed first never hears 409.
        options.holdSpecs = true
        options.stopGrace = .seconds(20)
        try await CallbackWorld.run(options) { [options] world in
            let id = try await world.start(script: "sleep 60", options: options)
            _ = try await world.database.withTransaction(logger: TestDatabase.logger) { connection in
                try await TaskCancellation.request(
                    .issue(repositoryID: 77, number: 1), reason: "the issue was closed", on: connection,
                    logger: TestDatabase.logger)
            }
            world.specGate.release()
            let dispatcher = world.dispatcher(options: options)
            try await world.dispatch.settle(dispatcher, within: .seconds(90)) {
                try await world.dispatch.status(id).0 == "cancelled"
            }
            try await world.deliver()
            #expect(try await world.dispatch.status(id).1 == "the issue was closed")
            #expect(
                world.dispatch.comments.contains { $0.contains("🛑 cancelled") && $0.contains("The issue was closed.") })
            #expect(world.dispatch.labels == ["porter:cancelled"])
            // The stop's grace period can end the task before the worker has asked for its spec (a
            // loaded machine boots it slowly): wait for the refusal rather than expect it already.
            try await waitUntil("the worker was refused its spec", timeout: .seconds(60)) {
                world.workerLog(id).contains("409")
            }
        }
    }

    @Test func aCloneThatFailsOnTheNetworkGetsANewAttemptWithTheSameStatusComment() async throws {
        try await CallbackWorld.run { world in
            // The git host answers the first worker's first request with a 503.
            world.emulator.faults.add(
                .init(method: "GET", pathPrefix: "/acme/widgets.git/info/refs", status: 503, remaining: 1))
            let id = try await world.start(script: "echo fixed > fix.txt")
            let dispatcher = world.dispatcher()
            try await world.dispatch.settle(dispatcher, within: .seconds(120)) {
                try await world.dispatch.status(id).0 == "succeeded"
            }
            try await world.finish(id)
            let attempts = try await world.database.query(
                "SELECT number, outcome, ended_reason FROM task_attempts WHERE task_id = \(id) ORDER BY number"
            ).collect().map { try $0.decode((Int, String?, String?).self) }
            #expect(attempts.count == 2)
            #expect(attempts.first?.2 == "infrastructure")
            #expect(world.dispatch.comments.filter { $0.contains("**Porter** ·") }.count == 1, "one status comment")
            #expect(world.emulator.pullRequests(owner: "acme", repo: "widgets").count == 1)
            #expect(try await world.timeline(id).contains { $0.contains("retrying") })
        }
    }

    @Test func whenInfrastructureRetriesAreSpentTheTaskFails() async throws {
        var options = CallbackWorld.Options()
        options.infraRetries = 1
        try await CallbackWorld.run(options) { [options] world in
            world.emulator.faults.add(.init(method: "GET", pathPrefix: "/acme/widgets.git/info/refs", status: 503))
            let id = try await world.start(script: "echo fixed > fix.txt", options: options)
            let dispatcher = world.dispatcher(options: options)
            try await world.dispatch.settle(dispatcher, within: .seconds(120)) {
                try await world.dispatch.status(id).0 == "failed"
            }
            try await world.deliver()
            let count = try await world.database.query("SELECT count(*) FROM task_attempts WHERE task_id = \(id)")
                .collect().first!.decode(Int.self)
            #expect(count == 2, "one retry, then the failure stands")
            #expect(world.dispatch.comments.contains { $0.contains("❌ failed") && $0.contains("503") })
        }
    }

    @Test func anAgentFailureIsNeverRetriedByItself() async throws {
        try await CallbackWorld.run { world in
            let id = try await world.start(script: "echo 'could not fix it' >&2; exit 7")
            let (status, _) = try await world.finish(id)
            #expect(status == "failed")
            let count = try await world.database.query("SELECT count(*) FROM task_attempts WHERE task_id = \(id)")
                .collect().first!.decode(Int.self)
            #expect(count == 1)
        }
    }
}
