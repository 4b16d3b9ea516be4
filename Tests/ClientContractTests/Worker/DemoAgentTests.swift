import Foundation
import PorterKit
import PorterTestSupport
import PostgresNIO
import Testing

/// The built-in `demo` agent as a newcomer meets it, with no key of theirs or the operator's: a
/// `@porter demo …` command becomes a task that the real worker entrypoint runs with
/// `deploy/worker/demo-agent`, and it ends in a pull request whose diff records the request. With the
/// demo turned off at the dispatcher, no worker starts for it.
@Suite struct DemoAgentTests {
    static let repository = (owner: "acme", repo: "widgets")

    /// The status comment's `Latest:` lines that quote the demo while it runs, collected until the task
    /// ends. The comment follows the worker's phase; a new line within a phase reaches it with the
    /// watchdog's refresh, which runs here every few seconds rather than every two minutes.
    static func demoLinesShown(_ world: CallbackWorld, _ id: UUID) async throws -> Set<String> {
        var shown: Set<String> = []
        let limit = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < limit,
            try await TaskStatus(rawValue: world.dispatch.status(id).0)?.isTerminal != true
        {
            for body in world.dispatch.comments where body.contains("⚙️ running") {
                for line in body.split(separator: "\n") where line.hasPrefix("Latest: `demo: ") {
                    shown.insert(String(line))
                }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        return shown
    }

    @Test(.timeLimit(.minutes(4)))
    func aDemoCommandEndsInAPullRequestWhoseDiffRecordsTheRequestWithTheDemosProgressShownOnTheIssue()
        async throws
    {
        guard case .command(.run(let command)) = CommandParser(demoAgent: true).parse("@porter demo add a greeting")
        else {
            Issue.record("the command did not parse as a run command")
            return
        }
        #expect(command.agent == .demo)
        var options = CallbackWorld.Options()
        options.demoAgent = true
        try await CallbackWorld.run(options) { [options] world in
            let refresh = world.statusRefresh(cadence: .seconds(3))
            try await LiveDelivery.run(world.database, world.dispatch.client, refresh: refresh) {
                let id = try await world.start(
                    script: command.instructions, agent: .demo, options: options, draft: command.draft ?? true)
                let shown = try await Self.demoLinesShown(world, id)
                let (status, reason) = try await world.finish(id)
                let log = world.workerLog(id)
                #expect(status == "succeeded", "\(reason ?? "") \(log)")
                #expect(!shown.isEmpty, "the status comment never quoted the demo: \(world.dispatch.comments)")

                // Only a demo task's worker is told the demo is on, and it needed no key.
                let machine = try #require(world.dispatch.fly.machines.first, "no worker; log:\n\(log)")
                #expect(machine.env["PORTER_DEMO_AGENT"] == "1")
                #expect(!machine.env.keys.contains { $0.hasSuffix("_API_KEY") })

                let pulls = world.emulator.pullRequests(owner: Self.repository.owner, repo: Self.repository.repo)
                let pull = try #require(pulls.first, "no pull request; worker log:\n\(log)")
                #expect(pulls.count == 1)
                let body = pull.body ?? ""
                #expect(body.contains("Fixes #1"))
                #expect(body.contains("This pull request comes from the demo agent"), "\(body)")
                #expect(body.contains("Agent `demo`"))
                let files = try await world.dispatch.client.pullRequestFiles(
                    installationID: world.dispatch.github.installationID, owner: Self.repository.owner,
                    repo: Self.repository.repo, number: pull.number)
                #expect(files.map(\.filename) == ["PORTER_DEMO.md"])
                #expect(files.first?.status == "added")
                let patch = files.first?.patch ?? ""
                #expect(patch.contains("+> add a greeting"), "\(patch)")
                #expect(patch.contains("+Porter's built-in `demo` agent wrote this file."))

                let final = try #require(world.dispatch.comments.first { $0.contains("✅ succeeded") })
                #expect(final.contains("Agent `demo`"))
                #expect(final.contains("Draft pull request: #\(pull.number)"))
                // The task page's live feed: the worker's progress events carry the demo's lines.
                let lines = try await world.database.query(
                    "SELECT data->>'lines' FROM task_events WHERE task_id = \(id) AND kind = 'progress'"
                ).collect().compactMap { try $0.decode(String?.self) }.joined(separator: "\n")
                #expect(lines.contains("demo: "), "\(lines)")
            }
        }
    }

    /// A demo task that got past the command (a retry, a follow-up, the switch turned off since) meets
    /// a dispatcher whose operator did not turn the demo on: it ends failed saying so, and no worker starts.
    @Test func aDispatcherWithTheDemoOffEndsADemoTaskSayingWhyAndStartsNoWorker() async throws {
        try await DispatchWorld.run { world in
            world.emulator.setRole(owner: "acme", repo: "widgets", user: "alice", role: "write")
            let id = try await world.request(by: "alice", agent: .demo, instructions: "add a greeting")
            try await world.settle(world.dispatcher())
            let (status, reason) = try await world.status(id)
            #expect(status == "failed")
            #expect(reason == "the demo agent is turned off")
            #expect(world.fly.machines.isEmpty)
            let reply = try #require(world.comments.first { $0.contains("Porter did not run this task") })
            #expect(reply.contains("has not turned on (`PORTER_DEMO_AGENT`)"), "\(reply)")
            #expect(world.labels == ["porter:failed"])
        }
    }
}
