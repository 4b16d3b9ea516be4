import Foundation
import PorterEmulators
import PorterKit
import PorterTestSupport
import PostgresNIO
import Testing

/// Dispatch steps that fail with what waiting cannot mend, or that keep failing, end their task with a
/// reason on the issue and give back the requester's slot; nothing is retried forever.
@Suite struct DispatchFailureTests {
    static func options() -> DispatchWorld.Options {
        var options = DispatchWorld.Options()
        options.defaultKeys = ["ANTHROPIC_API_KEY"]
        return options
    }

    static func activeTasks(_ world: DispatchWorld) async throws -> Int {
        try await world.database.query(
            "SELECT count(*) FROM tasks WHERE requester_id = 501 AND status IN ('dispatching', 'running')"
        ).collect().first!.decode(Int.self)
    }

    @Test func nulBytesInAgentsMDNeverReachTheDatabase() async throws {
        // An AGENTS.md saved as UTF-16: every other byte is NUL, which PostgreSQL refuses in text.
        let utf16 = "Run the tests.".map { "\($0)\u{0}" }.joined()
        try await DispatchWorld.run(files: ["README.md": "# Widgets\n", "AGENTS.md": "\u{FEFF}" + utf16]) { world in
            world.emulator.setRole(owner: "acme", repo: "widgets", user: "alice", role: "write")
            let id = try await world.request(by: "alice", instructions: "fix\u{0} it")
            try await world.settle(world.dispatcher(Self.options()))
            #expect(try await world.status(id).0 == "running")
            let prompt = try await world.database.query("SELECT prompt FROM tasks WHERE id = \(id)").collect().first!
                .decode(String.self)
            #expect(!prompt.contains("\u{0}"))
            #expect(prompt.contains("Run the tests."))
        }
    }

    @Test func aContentsReadGitHubRefusesEndsTheTaskWithTheReason() async throws {
        try await DispatchWorld.run { world in
            world.emulator.setRole(owner: "acme", repo: "widgets", user: "alice", role: "write")
            world.emulator.faults.add(
                .init(
                    method: "GET", pathPrefix: "/repos/acme/widgets/contents/", status: 403,
                    body: #"{"message":"Resource not accessible by integration"}"#))
            let id = try await world.request(by: "alice")
            try await world.settle(world.dispatcher(Self.options()))

            let (status, reason) = try await world.status(id)
            #expect(status == "failed")
            #expect(reason?.contains("Resource not accessible by integration") == true)
            #expect(
                world.comments.contains { $0.contains("GitHub answered 403: Resource not accessible by integration") })
            #expect(world.labels == ["porter:failed"])
            #expect(try await Self.activeTasks(world) == 0, "the slot is free again")
            #expect(try await world.database.query("SELECT count(*) FROM jobs").collect().first!.decode(Int.self) == 0)
        }
    }

    @Test func aSecondaryRateLimit403IsWaitedOutNotFailed() async throws {
        try await DispatchWorld.run { world in
            world.emulator.setRole(owner: "acme", repo: "widgets", user: "alice", role: "write")
            world.emulator.faults.add(
                .init(
                    method: "GET", pathPrefix: "/repos/acme/widgets/contents/", status: 403,
                    headers: ["retry-after": "0"],
                    body: #"{"message":"You have exceeded a secondary rate limit."}"#, remaining: 1))
            let id = try await world.request(by: "alice")
            try await world.settle(world.dispatcher(Self.options()))
            #expect(try await world.status(id).0 == "running")
        }
    }

    @Test func anAgentsMDOverOneMegabyteEndsTheTaskWithTheReason() async throws {
        let huge = String(repeating: "Run the tests, then run them again.\n", count: 30_000)
        try await DispatchWorld.run(files: ["README.md": "# Widgets\n", "AGENTS.md": huge]) { world in
            world.emulator.setRole(owner: "acme", repo: "widgets", user: "alice", role: "write")
            let id = try await world.request(by: "alice")
            try await world.settle(world.dispatcher(Self.options()))

            let (status, reason) = try await world.status(id)
            #expect(status == "failed")
            #expect(reason?.contains("AGENTS.md") == true)
            #expect(world.comments.contains { $0.contains("`AGENTS.md` is larger than the 1 MB") })
            #expect(try await Self.activeTasks(world) == 0)
        }
    }

    @Test func aStepThatKeepsFailingEndsTheTaskWhenItsBudgetIsSpent() async throws {
        try await DispatchWorld.run { world in
            world.emulator.setRole(owner: "acme", repo: "widgets", user: "alice", role: "write")
            world.emulator.faults.add(.init(method: "GET", pathPrefix: "/repos/acme/widgets/contents/", status: 503))
            let id = try await world.request(by: "alice")
            var options = Self.options()
            options.budget.maxFailures = 3
            let dispatcher = world.dispatcher(options)
            try await world.settle(dispatcher) { try await world.status(id).0 == "failed" }

            let reason = try await world.status(id).1 ?? ""
            #expect(reason.contains("GitHub answered 503") && reason.contains("gave up after 3 failed tries"))
            #expect(world.comments.contains { $0.contains("Porter could not start this task") })
            #expect(try await Self.activeTasks(world) == 0)
        }
    }

    @Test func theFailureBudgetCountsFailuresInARowAndTheirDuration() {
        let budget = FailureBudget(maxFailures: 3, maxDuration: .seconds(60))
        let now = Date()
        var job = ClaimedJob(id: 1, kind: "dispatch", taskID: nil, payload: "{}", priority: .normal, attempts: 9)
        #expect(!budget.isExhausted(job, now: now), "claims spent waiting are no failures")
        job.failures = 2
        job.failingSince = now.addingTimeInterval(-10)
        #expect(budget.isExhausted(job, now: now), "the third failure in a row is the last")
        job.failures = 1
        #expect(!budget.isExhausted(job, now: now))
        job.failingSince = now.addingTimeInterval(-61)
        #expect(budget.isExhausted(job, now: now), "failing for longer than the budget")
    }

    @Test func failuresAreClassifiedOnce() async throws {
        func status(_ code: Int, _ body: String = "{}", retryAfter: Duration? = nil) -> APIError {
            .status(code: code, api: "github", operation: "x", body: body, retryAfter: retryAfter)
        }
        #expect(Failure.of(status(503)) == .transient)
        #expect(Failure.of(status(429)) == .transient)
        #expect(Failure.of(status(408)) == .transient)
        #expect(Failure.of(APIError.transport(api: "fly", operation: "x", reason: "reset")) == .transient)
        #expect(Failure.of(status(403, #"{"message":"Resource not accessible by integration"}"#)) == .permanent)
        #expect(Failure.of(status(403, #"{"message":"You have exceeded a secondary rate limit"}"#)) == .transient)
        #expect(Failure.of(status(403, retryAfter: .seconds(60))) == .transient)
        #expect(Failure.of(status(422)) == .permanent)
        #expect(Failure.of(GitHubError.fileTooLarge(path: "AGENTS.md")) == .permanent)
        #expect(Failure.of(CancellationError()) == .transient)

        // Real errors from the database: a data exception is permanent, a serialization failure is not.
        try await TestDatabase.withClient { client, _ in
            do {
                _ = try await client.query("SELECT convert_from('\\x00'::bytea, 'UTF8')").collect()
                Issue.record("the database took a NUL")
            } catch {
                #expect(error.sqlState?.hasPrefix("22") == true)
                #expect(Failure.of(error) == .permanent)
                #expect(Failure.explain(error).contains("SQLSTATE 22"))
            }
            do {
                _ = try await client.query("SELECT 1/0").collect()
            } catch {
                #expect(Failure.of(error) == .permanent, "22012, division by zero")
            }
            do {
                _ = try await client.query(
                    "DO $$ BEGIN RAISE EXCEPTION 'busy' USING ERRCODE = 'serialization_failure'; END $$"
                ).collect()
            } catch {
                #expect(Failure.of(error) == .transient)
            }
        }
    }
}
