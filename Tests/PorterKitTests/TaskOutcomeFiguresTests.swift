import Foundation
import PorterKit
import PorterTestSupport
import PostgresNIO
import Testing

/// The stat cards and the agents' table, read through `tasks.outcome` and the stats indexes (migration
/// 21), give exactly what a plain computation over every task gives: random tasks with durations to the
/// microsecond, under several filters, windows and visibilities, with another person's private
/// repository never counted.
@Suite struct TaskOutcomeFiguresTests {
    /// SplitMix64: the same tasks on every run, so a failure can be replayed.
    struct Random: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    struct Planted {
        var repository: Int64
        var requester: Int64
        var agent: String
        var model: String?
        var status: TaskStatus
        var branch: String
        var createdAt: Date
        /// As PostgreSQL computes it from the stored times; nil while the task has not ended.
        var duration: Double?
        var pullRequest: Int?
        var pullRequestState: String?
    }

    /// Person 9 reaches 301 and 302; 303 is someone else's repository where 9 asked for some tasks, and
    /// 304 a private repository of person 77 that 9 cannot see at all.
    static func plant(count: Int, on client: PostgresClient) async throws -> [Planted] {
        var random = Random(state: 2026_11_30)
        let statuses: [TaskStatus] = [
            .succeeded, .succeeded, .succeeded, .failed, .timedOut, .cancelled, .queued, .dispatching, .running,
        ]
        let agents: [(String, String?)] = [("claude", "opus"), ("claude", nil), ("codex", nil), ("amp", "x1")]
        var rows: [String] = []
        var times: [String] = []
        for issue in 1...count {
            let repository = Int64(301 + Int.random(in: 0..<4, using: &random))
            let requester: Int64 = repository == 304 ? 77 : [9, 9, 50, 51, 52].randomElement(using: &random)!
            let (agent, model) = agents.randomElement(using: &random)!
            let status = statuses.randomElement(using: &random)!
            let created = Int.random(in: 0..<(60 * 86_400_000_000), using: &random)
            // Whole seconds for some, so equal durations and ties between ranks occur too.
            let ran =
                Bool.random(using: &random)
                ? Int.random(in: 1...40, using: &random) * 1_000_000
                : Int.random(in: 1...3_000_000_000, using: &random)
            let started = !(status == .cancelled && Bool.random(using: &random))
            let pull = status == .succeeded && Int.random(in: 0..<4, using: &random) > 0 ? 5_000 + issue : nil
            let state = pull.map { _ in ["open", "merged", "closed"].randomElement(using: &random)! }
            rows.append(
                "(gen_random_uuid(), 1, \(repository), 'o/r\(repository)', \(issue), \(requester), 'u\(requester)', "
                    + "'\(agent)', \(model.map { "'\($0)'" } ?? "NULL"), 'Issue \(issue)', 'x', "
                    + "'porter/b\(issue % 3)')")
            times.append(
                "(\(issue), '\(status.rawValue)', \(created), \(started), "
                    + "\(ran), \(pull.map(String.init) ?? "NULL"), \(state.map { "'\($0)'" } ?? "NULL"))")
        }
        try await client.query(
            PostgresQuery(
                unsafeSQL: """
                    INSERT INTO tasks (id, installation_id, repository_id, repository_full_name, issue_number,
                        requester_id, requester_login, agent, model, issue_title, instructions, branch)
                    VALUES \(rows.joined(separator: ",\n"))
                    """))
        // Along the allowed transitions, as the services move tasks; then the times and pull requests.
        let plan = "(VALUES \(times.joined(separator: ",\n"))) AS p(issue, status, created, started, ran, pull, state)"
        for (from, to, condition) in [
            ("queued", "dispatching", "p.status NOT IN ('queued', 'cancelled')"),
            ("queued", "cancelled", "p.status = 'cancelled'"),
            ("dispatching", "running", "p.status NOT IN ('dispatching')"),
            ("running", "p.status", "p.status <> 'running'"),
        ] {
            try await client.query(
                PostgresQuery(
                    unsafeSQL: """
                        UPDATE tasks SET status = \(to == "p.status" ? to : "'\(to)'") FROM \(plan)
                        WHERE tasks.issue_number = p.issue AND tasks.status = '\(from)' AND \(condition)
                        """))
        }
        try await client.query(
            PostgresQuery(
                unsafeSQL: """
                    UPDATE tasks SET created_at = c, started_at = CASE WHEN p.started THEN c + interval '7 seconds' END,
                        finished_at = CASE WHEN tasks.status IN ('succeeded', 'failed', 'timed_out', 'cancelled')
                            THEN coalesce(CASE WHEN p.started THEN c + interval '7 seconds' END, c)
                                + p.ran * interval '1 microsecond' END,
                        pull_request_number = p.pull, pull_request_state = p.state
                    FROM \(plan), LATERAL (SELECT now() - p.created * interval '1 microsecond' AS c) AS t
                    WHERE tasks.issue_number = p.issue
                    """))
        // What was stored, read back plainly: the status text and the times themselves.
        var planted: [Planted] = []
        let rowsBack = try await client.query(
            """
            SELECT repository_id, requester_id, agent, model, status, branch, created_at,
                date_part('epoch', finished_at - coalesce(started_at, created_at)), pull_request_number,
                pull_request_state
            FROM tasks ORDER BY issue_number
            """)
        for try await row in rowsBack {
            let (repository, requester, agent, model, status, branch, created) = try row.decode(
                (Int64, Int64, String, String?, String, String, Date).self)
            let columns = row.makeRandomAccess()
            planted.append(
                Planted(
                    repository: repository, requester: requester, agent: agent, model: model,
                    status: try #require(TaskStatus(rawValue: status)), branch: branch, createdAt: created,
                    duration: try columns[7].decode(Double?.self), pullRequest: try columns[8].decode(Int?.self),
                    pullRequestState: try columns[9].decode(String?.self)))
        }
        return planted
    }

    static func expectedStats(_ tasks: [Planted]) -> TaskStats {
        let finished = tasks.filter { TaskStatus.terminal.contains($0.status) }
        let durations = finished.compactMap(\.duration)
        return TaskStats(
            tasks: tasks.count, finished: finished.count, succeeded: tasks.filter { $0.status == .succeeded }.count,
            medianDurationSeconds: TaskFiguresTests.percentile(durations, 0.5),
            p90DurationSeconds: TaskFiguresTests.percentile(durations, 0.9),
            pullRequestsOpened: tasks.filter { $0.pullRequest != nil }.count)
    }

    static func visible(_ tasks: [Planted], to userID: Int64, reaching repositories: [Int64]) -> [Planted] {
        tasks.filter { repositories.contains($0.repository) || $0.requester == userID }
    }

    @Test func cardsAgreeWithAPlainComputationAcrossFiltersAndVisibility() async throws {
        try await TestDatabase.withClient { client, _ in
            let tasks = try await Self.plant(count: 400, on: client)
            let lists = PostgresTaskListStore(client: client, logger: TestDatabase.logger)
            let now = Date()
            var filters: [(String, TaskFilter, (Planted) -> Bool)] = [("none", TaskFilter(), { _ in true })]
            var recent = TaskFilter()
            recent.from = now.addingTimeInterval(-20 * 86_400)
            recent.to = now.addingTimeInterval(-3 * 86_400)
            filters.append(("dates", recent, { $0.createdAt >= recent.from! && $0.createdAt < recent.to! }))
            var codex = TaskFilter()
            codex.agent = .codex
            filters.append(("agent", codex, { $0.agent == "codex" }))
            var ended = TaskFilter()
            ended.statuses = [.failed, .timedOut, .running]
            filters.append(("statuses", ended, { [.failed, .timedOut, .running].contains($0.status) }))
            var repository = TaskFilter()
            repository.repository = "O/R303"
            filters.append(("repository", repository, { $0.repository == 303 }))
            var branch = TaskFilter()
            branch.branch = "porter/b1"
            branch.from = recent.from
            filters.append(("branch", branch, { $0.branch == "porter/b1" && $0.createdAt >= recent.from! }))

            for (userID, repositories) in [
                (Int64(9), [Int64(301), 302]), (9, []), (51, [301, 302, 303]), (77, [304]),
            ] {
                let seen = Self.visible(tasks, to: userID, reaching: repositories)
                for (name, filter, matches) in filters {
                    let expected = Self.expectedStats(seen.filter(matches))
                    let stats = try await lists.stats(userID: userID, repositories: repositories, filter: filter)
                    #expect(stats == expected, "person \(userID) reaching \(repositories), filter \(name)")
                }
            }
            // The random tasks do cover what the figures tell apart.
            let mine = Self.expectedStats(Self.visible(tasks, to: 9, reaching: [301, 302]))
            #expect(mine.finished > 100 && mine.succeeded < mine.finished && mine.tasks > mine.finished)
            #expect(
                tasks.contains { $0.repository == 304 } && tasks.contains { $0.repository == 303 && $0.requester == 9 })
            let unseen = try await lists.stats(userID: 9, repositories: [301, 302], filter: repository)
            #expect(unseen.tasks == tasks.filter { $0.repository == 303 && $0.requester == 9 }.count)
        }
    }

    @Test func agentLinesAgreeWithAPlainComputationForEveryWindow() async throws {
        try await TestDatabase.withClient { client, _ in
            let tasks = try await Self.plant(count: 400, on: client)
            let store = PostgresAgentStatsStore(client: client, logger: TestDatabase.logger)
            let now = Date()
            for (userID, repositories) in [(Int64(9), [Int64(301), 302]), (51, [301, 302, 303, 304])] {
                for window in AgentStatsWindow.allCases {
                    let start = window.start(before: now)
                    let seen = Self.visible(tasks, to: userID, reaching: repositories).filter { task in
                        start.map { task.createdAt >= $0 } ?? true
                    }
                    let lines = try await store.stats(
                        userID: userID, repositories: repositories, window: window, now: now)
                    let keys = Set(seen.map { "\($0.agent) \($0.model ?? "-")" })
                    #expect(lines.count == keys.count)
                    #expect(lines.map(\.runs) == lines.map(\.runs).sorted(by: >))
                    for line in lines {
                        let mine = seen.filter { $0.agent == line.agent && $0.model == line.model }
                        let expected = Self.expectedStats(mine)
                        let context = "\(userID) \(window) \(line.agent) \(line.model ?? "-")"
                        #expect(line.runs == mine.count, "\(context)")
                        #expect(line.succeeded == expected.succeeded, "\(context)")
                        #expect(line.failed == mine.filter { [.failed, .timedOut].contains($0.status) }.count)
                        #expect(line.cancelled == mine.filter { $0.status == .cancelled }.count)
                        #expect(line.finished == expected.finished, "\(context)")
                        #expect(line.successRate == expected.successRate, "\(context)")
                        #expect(line.medianDurationSeconds == expected.medianDurationSeconds, "\(context)")
                        #expect(line.p90DurationSeconds == expected.p90DurationSeconds, "\(context)")
                        #expect(line.pullRequestsOpened == expected.pullRequestsOpened, "\(context)")
                        #expect(line.pullRequestsMerged == mine.filter { $0.pullRequestState == "merged" }.count)
                    }
                }
            }
        }
    }

    /// Migration 21 on a database that already holds tasks: every task's outcome is its status's, and
    /// it follows later status changes.
    @Test func theOutcomeIsWrittenForTasksAlreadyStoredAndFollowsTheStatus() async throws {
        try await TestDatabase.withClient(migrated: false) { client, _ in
            let before = Migration.all.filter { $0.version < 21 }
            _ = try await Migrator(migrations: before, logger: TestDatabase.logger).migrate(client)
            let repository = PostgresTaskRepository(client: client, logger: TestDatabase.logger)
            var ids: [TaskStatus: UUID] = [:]
            for (issue, status) in TaskStatus.allCases.enumerated() {
                let id = try await repository.create(TaskCountsTests.newTask(repository: 5, issue: issue + 1)).id
                let path: [TaskStatus] =
                    switch status {
                    case .queued: []
                    case .dispatching: [.dispatching]
                    case .cancelled: [.cancelled]
                    default: [.dispatching, .running] + (status == .running ? [] : [status])
                    }
                for step in path { _ = try await repository.transition(id: id, to: step, reason: nil) }
                ids[status] = id
            }
            #expect(try await Migrator(logger: TestDatabase.logger).migrate(client).first == 21)

            func outcomes() async throws -> [String: Int16?] {
                var found: [String: Int16?] = [:]
                for try await (status, outcome) in try await client.query("SELECT status, outcome FROM tasks")
                    .decode((String, Int16?).self)
                { found.updateValue(outcome, forKey: status) }
                return found
            }
            let expected: [String: Int16?] = [
                "queued": nil, "dispatching": nil, "running": nil, "succeeded": 1, "failed": 2, "timed_out": 3,
                "cancelled": 4,
            ]
            #expect(try await outcomes() == expected)
            _ = try await repository.transition(id: try #require(ids[.running]), to: .timedOut, reason: nil)
            let moved =
                try await client.query(
                    "SELECT outcome FROM tasks WHERE id = \(try #require(ids[.running]))"
                ).collect().first?.decode(Int16?.self) ?? nil
            #expect(moved == 3)
        }
    }
}
