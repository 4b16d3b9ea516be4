import Foundation
import HTTPTypes
import PorterKit
import PorterTestSupport
import PostgresNIO
import Testing

@testable import WebAPI

/// `GET /api/agents/stats`: per agent and model figures over the tasks a person may see, checked
/// against tasks seeded with known outcomes, durations and pull requests.
@Suite(.timeLimit(.minutes(3))) struct WebAgentStatsTests {
    typealias Repository = (id: Int, installation: Int, name: String)

    /// How a seeded task went: its end (nil while it runs), seconds from creation to start (nil when
    /// it never started) and from start to finish, and its pull request.
    struct Run {
        var status: TaskStatus
        var started: Double? = 5
        var seconds: Double? = nil
        var pullRequest: PullRequestState? = nil
    }

    /// A task by `requester` on `repository`, created `ageSeconds` ago, that went as `run` says.
    @discardableResult
    func seed(
        _ world: WebWorld, _ run: Run, agent: Agent = .claude, model: String? = "opus", repository: Repository,
        requester: String = "octo", ageSeconds: Double = 3_600
    ) async throws -> UUID {
        // An issue of its own: an issue has at most one active task.
        let issue = try await world.database.query("SELECT count(*) + 1 FROM tasks").collect().first!.decode(Int.self)
        let task = try await PostgresTaskRepository(client: world.database, logger: TestDatabase.logger).create(
            NewTask(
                issue: IssueReference(
                    installationID: Int64(repository.installation), repositoryID: Int64(repository.id),
                    repositoryFullName: repository.name, number: issue),
                requester: Requester(id: Int64(world.github.addUser(requester)), login: requester),
                request: TaskRequest(agent: agent, model: model, instructions: "do it")))
        let path: [TaskStatus] =
            switch run.status {
            case .queued: []
            case .dispatching: [.dispatching]
            case .running: [.dispatching, .running]
            case .cancelled where run.started == nil: [.cancelled]
            default: [.dispatching, .running, run.status]
            }
        for status in path.dropLast() {
            try await world.database.query("UPDATE tasks SET status = \(status.rawValue) WHERE id = \(task.id)")
        }
        let finishing = run.status.isTerminal
        let number: Int? = run.pullRequest == nil ? nil : 1
        try await world.database.query(
            """
            UPDATE tasks SET status = \(path.last?.rawValue ?? "queued"),
                created_at = now() - make_interval(secs => \(ageSeconds)),
                started_at = now() - make_interval(secs => \(ageSeconds)) + make_interval(secs => \(run.started)),
                finished_at = CASE WHEN \(finishing) THEN now() - make_interval(secs => \(ageSeconds))
                    + make_interval(secs => coalesce(\(run.started), 0) + \(run.seconds)) END,
                pull_request_number = \(number), pull_request_state = \(run.pullRequest?.rawValue)
            WHERE id = \(task.id)
            """)
        return task.id
    }

    func widgets(_ world: WebWorld) -> Repository { (world.repositoryID, world.installationID, "acme/widgets") }

    /// The lines of the answer by `agent/model`.
    func lines(_ answer: Page) throws -> [String: [String: Any]] {
        let agents = try #require(try answer.json()["agents"] as? [[String: Any]])
        return Dictionary(
            uniqueKeysWithValues: agents.map {
                ("\($0["agent"] as? String ?? "")/\($0["model"] as? String ?? "-")", $0)
            })
    }

    @Test func figuresFollowTheSeededOutcomesDurationsAndPullRequests() async throws {
        try await WebWorld.run { world in
            let widgets = widgets(world)
            // claude with opus: durations 50 (never started), 100, 200, 300, 400 seconds.
            try await seed(world, Run(status: .succeeded, seconds: 100, pullRequest: .merged), repository: widgets)
            try await seed(
                world, Run(status: .succeeded, seconds: 200, pullRequest: .open), repository: widgets,
                requester: "colleague")
            try await seed(world, Run(status: .failed, seconds: 300), repository: widgets)
            try await seed(world, Run(status: .timedOut, seconds: 400, pullRequest: .closed), repository: widgets)
            try await seed(world, Run(status: .cancelled, started: nil, seconds: 50), repository: widgets)
            try await seed(world, Run(status: .running), repository: widgets)
            try await seed(world, Run(status: .queued, started: nil), repository: widgets)
            // codex with its default model: one success in a minute.
            try await seed(
                world, Run(status: .succeeded, seconds: 60, pullRequest: .merged), agent: .codex, model: nil,
                repository: widgets)
            // Someone else's private repository, which octo cannot reach.
            let vault: Repository = (
                try await world.github.addRepository(owner: "secretco", name: "vault"),
                world.github.addInstallation(account: "secretco"), "secretco/vault"
            )
            for _ in 0..<3 {
                try await seed(
                    world, Run(status: .succeeded, seconds: 10, pullRequest: .merged), repository: vault,
                    requester: "secretco")
                try await seed(
                    world, Run(status: .failed, seconds: 10), agent: .gemini, model: "pro", repository: vault,
                    requester: "secretco")
            }

            let browser = try await world.signedIn("octo")
            let answer = try await browser.get("/api/agents/stats?window=30d")
            #expect(answer.status == .ok)
            let json = try answer.json()
            #expect(json["window"] as? String == "30d")
            let agents = try #require(json["agents"] as? [[String: Any]])
            #expect(agents.map { $0["agent"] as? String } == ["claude", "codex"], "most used first; no gemini")

            let claude = try #require(try lines(answer)["claude/opus"])
            #expect(claude["runs"] as? Int == 7)
            #expect(claude["succeeded"] as? Int == 2)
            #expect(claude["failed"] as? Int == 2)
            #expect(claude["cancelled"] as? Int == 1)
            #expect(claude["finished"] as? Int == 5)
            #expect(claude["successRate"] as? Double == 0.4)
            #expect(claude["medianDurationSeconds"] as? Double == 200)
            // percentile_cont: 0.9 of the way through five sorted values is 60% from 300 to 400.
            #expect(abs((claude["p90DurationSeconds"] as? Double ?? 0) - 360) < 0.001)
            #expect(claude["pullRequestsOpened"] as? Int == 3)
            #expect(claude["pullRequestsMerged"] as? Int == 1)

            let codex = try #require(try lines(answer)["codex/-"])
            #expect(codex["model"] == nil)
            #expect(codex["runs"] as? Int == 1)
            #expect(codex["successRate"] as? Double == 1)
            #expect(codex["medianDurationSeconds"] as? Double == 60)
            #expect(codex["p90DurationSeconds"] as? Double == 60)
            #expect(codex["pullRequestsMerged"] as? Int == 1)

            // The owner of the private repository sees only its tasks.
            let owner = try await world.signedIn("secretco")
            let theirs = try lines(try await owner.get("/api/agents/stats?window=30d"))
            #expect(Set(theirs.keys) == ["claude/opus", "gemini/pro"])
            #expect(theirs["claude/opus"]?["runs"] as? Int == 3)
            #expect(theirs["claude/opus"]?["medianDurationSeconds"] as? Double == 10)
        }
    }

    @Test func aLineWithNothingFinishedHasNoRateOrDurations() async throws {
        try await WebWorld.run { world in
            try await seed(world, Run(status: .running), repository: widgets(world))
            let browser = try await world.signedIn("octo")
            let line = try #require(try lines(try await browser.get("/api/agents/stats"))["claude/opus"])
            #expect(line["runs"] as? Int == 1)
            #expect(line["finished"] as? Int == 0)
            #expect(line["successRate"] == nil)
            #expect(line["medianDurationSeconds"] == nil)
            #expect(line["p90DurationSeconds"] == nil)
        }
    }

    @Test func eachWindowCountsTheTasksCreatedWithinIt() async throws {
        try await WebWorld.run { world in
            let hour = 3_600.0
            let day = 24 * hour
            // Either side of each boundary, by an hour.
            for age in [
                7 * day - hour, 7 * day + hour, 30 * day - hour, 30 * day + hour, 90 * day - hour,
                90 * day + hour, 400 * day,
            ] {
                try await seed(world, Run(status: .succeeded, seconds: 30), repository: widgets(world), ageSeconds: age)
            }
            let browser = try await world.signedIn("octo")
            for (query, runs) in [("window=7d", 1), ("window=30d", 3), ("window=90d", 5), ("window=all", 7), ("", 3)] {
                let answer = try await browser.get("/api/agents/stats?\(query)")
                #expect(answer.status == .ok, "\(query)")
                #expect(try lines(answer)["claude/opus"]?["runs"] as? Int == runs, "\(query)")
                let json = try answer.json()
                #expect(json["window"] as? String == (query.isEmpty ? "30d" : String(query.dropFirst(7))))
                #expect((json["from"] == nil) == (query == "window=all"))
            }
        }
    }

    @Test(arguments: ["1y", "30", "7D", "%2030d", "all,7d"])
    func aWindowThatIsNotOneOfTheFourIsRefused(window: String) async throws {
        try await WebWorld.run { world in
            let browser = try await world.signedIn("octo")
            let answer = try await browser.get("/api/agents/stats?window=\(window)")
            #expect(answer.status == .badRequest)
            let json = try answer.json()
            #expect(json["error"] as? String == "invalid_window")
            #expect(json["message"] as? String == "window is one of 7d, 30d, 90d, all.")
        }
    }

    @Test func withoutASessionTheFiguresAreRefused() async throws {
        try await WebWorld.run { world in
            let answer = try await world.browser().get("/api/agents/stats")
            #expect(answer.status == .unauthorized)
        }
    }
}
