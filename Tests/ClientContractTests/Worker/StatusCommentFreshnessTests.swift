import Foundation
import PorterKit
import PorterTestSupport
import PostgresNIO
import Testing

/// The real worker entrypoint against a live deliverer and the status refresh sweep: the issue's
/// status comment reaches the agent phase even when the agent then goes quiet, shows its latest line,
/// and its elapsed time moves while the agent works.
@Suite(.serialized) struct StatusCommentFreshnessTests {
    /// Spacing 8 s: the worker sends `agent` within a second of `cloning`, and its monitor's next
    /// event (the agent's one line) about 5 s later, both inside the spacing; after that the agent
    /// is silent for 25 s. Refresh cadence 4 s, budget 60 a minute, sweep every second.
    @Test(.timeLimit(.minutes(3))) func theCommentShowsTheAgentPhaseWithinTheSpacingAndItsElapsedTimeAdvances()
        async throws
    {
        var options = CallbackWorld.Options()
        options.progressSpacing = .seconds(8)
        try await CallbackWorld.run(options) { [options] world in
            let sweep = world.statusRefresh(cadence: .seconds(4))
            try await LiveDelivery.run(world.database, world.dispatch.client, refresh: sweep) {
                let id = try await world.start(
                    script: """
                        echo "reading the login test for @octocat"
                        sleep 25
                        echo fixed > FIX.md
                        """, options: options)
                var agentStarted: ContinuousClock.Instant?
                var agentShown: ContinuousClock.Instant?
                var elapsed: [Int] = []
                var lines: Set<String> = []
                let limit = ContinuousClock.now + .seconds(90)
                while ContinuousClock.now < limit,
                    try await TaskStatus(rawValue: world.dispatch.status(id).0)?.isTerminal != true
                {
                    if agentStarted == nil, try await Self.agentStarted(world, id) { agentStarted = .now }
                    if let body = world.dispatch.comments.first(where: { $0.contains("⚙️ running") }) {
                        if agentShown == nil, body.contains("Now: the agent is working.") { agentShown = .now }
                        if agentShown != nil, let seconds = Self.elapsedSeconds(body), elapsed.last != seconds {
                            elapsed.append(seconds)
                        }
                        if let latest = body.split(separator: "\n").first(where: { $0.hasPrefix("Latest: ") }) {
                            lines.insert(String(latest))
                        }
                    }
                    try await Task.sleep(for: .milliseconds(100))
                }
                let started = try #require(agentStarted, "no agent phase; worker log:\n\(world.workerLog(id))")
                let shown = try #require(
                    agentShown, "the comment never showed the agent phase: \(world.dispatch.comments)")
                // Well before the agent's 25 s of silence end: the phase is not waiting for its next event.
                #expect(shown - started < .seconds(20), "shown \(shown - started) after the agent started")
                #expect(elapsed.count >= 3, "the elapsed time moved while the agent worked: \(elapsed)")
                #expect(elapsed == elapsed.sorted(), "\(elapsed)")
                #expect(lines.contains("Latest: `reading the login test for @octocat`"), "\(lines)")
                let (status, reason) = try await world.finish(id)
                #expect(status == "succeeded", "\(reason ?? "")")
            }
        }
    }

    static func agentStarted(_ world: CallbackWorld, _ id: UUID) async throws -> Bool {
        try await !world.database.query(
            "SELECT 1 FROM task_events WHERE task_id = \(id) AND kind = 'progress' AND data->>'phase' = 'agent'"
        ).collect().isEmpty
    }

    /// `42s elapsed` or `1m 05s elapsed` as seconds.
    static func elapsedSeconds(_ body: String) -> Int? {
        guard let range = body.range(of: #"(\d+m )?\d+s elapsed"#, options: .regularExpression) else { return nil }
        let parts = body[range].dropLast(" elapsed".count).split(separator: " ").map { $0.dropLast() }
        return parts.reduce(0) { total, part in total * 60 + (Int(part) ?? 0) }
    }
}
