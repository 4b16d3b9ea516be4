import Foundation
import PorterKit
import PorterTestSupport
import PostgresNIO
import Synchronization
import Testing

/// The history's figures read from the figures indexes (migration 16) agree with the tasks themselves,
/// and kept figures (`FigureCache`) hold exactly until a task changes.
@Suite struct TaskFiguresTests {
    /// Where each task ends, how long it ran, and whether it opened a pull request.
    struct Seed {
        var repository: Int64
        var requester: Int64
        var agent: Agent
        var status: TaskStatus
        var seconds: Int?
        var pullRequest: Int?
    }

    static let seeds: [Seed] = (1...36).map { n in
        let statuses: [TaskStatus] = [.succeeded, .succeeded, .failed, .timedOut, .cancelled, .running, .queued]
        let status = statuses[n % statuses.count]
        return Seed(
            repository: Int64(200 + n % 3), requester: n % 4 == 0 ? 9 : 50 + Int64(n % 5),
            agent: n % 2 == 0 ? .claude : .codex, status: status,
            seconds: TaskStatus.terminal.contains(status) ? 30 + (n * 37) % 400 : nil,
            pullRequest: status == .succeeded ? 1000 + n : nil)
    }

    /// Creates every seed through the repository's transitions, then sets its times and pull request.
    static func plant(_ seeds: [Seed], on client: PostgresClient) async throws {
        let tasks = PostgresTaskRepository(client: client, logger: TestDatabase.logger)
        for (issue, seed) in seeds.enumerated() {
            let id = try await tasks.create(
                NewTask(
                    issue: IssueReference(
                        installationID: 1, repositoryID: seed.repository,
                        repositoryFullName: "octo/r\(seed.repository)", number: issue + 1),
                    requester: Requester(id: seed.requester, login: "u\(seed.requester)"),
                    request: TaskRequest(agent: seed.agent, instructions: "x"))
            ).id
            let path: [TaskStatus] =
                switch seed.status {
                case .queued: []
                case .cancelled: [.cancelled]
                default: [.dispatching, .running] + (seed.status == .running ? [] : [seed.status])
                }
            for status in path { _ = try await tasks.transition(id: id, to: status, reason: nil) }
            // A cancelled task never started: its duration runs from its creation.
            let started = seed.status == .cancelled ? nil : "created_at + interval '5 seconds'"
            let finished = seed.seconds.map { "\(started ?? "created_at") + interval '\($0) seconds'" }
            try await client.query(
                PostgresQuery(
                    unsafeSQL: """
                        UPDATE tasks SET started_at = \(seed.status == .queued || started == nil ? "NULL" : started!),
                            finished_at = \(finished ?? "NULL"),
                            pull_request_number = \(seed.pullRequest.map(String.init) ?? "NULL"),
                            pull_request_url = \(seed.pullRequest.map { "'https://github.com/o/r/pull/\($0)'" } ?? "NULL")
                        WHERE id = '\(id)'
                        """))
        }
    }

    /// percentile_cont: linear between the two nearest ranks.
    static func percentile(_ values: [Double], _ fraction: Double) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let rank = fraction * Double(sorted.count - 1)
        let low = Int(rank.rounded(.down))
        let high = Int(rank.rounded(.up))
        return sorted[low] + (sorted[high] - sorted[low]) * (rank - Double(low))
    }

    static func expectedStats(_ seeds: [Seed]) -> TaskStats {
        let finished = seeds.filter { TaskStatus.terminal.contains($0.status) }
        let durations = finished.compactMap { $0.seconds.map(Double.init) }
        return TaskStats(
            tasks: seeds.count, finished: finished.count, succeeded: seeds.filter { $0.status == .succeeded }.count,
            medianDurationSeconds: percentile(durations, 0.5), p90DurationSeconds: percentile(durations, 0.9),
            pullRequestsOpened: seeds.filter { $0.pullRequest != nil }.count)
    }

    @Test func figuresFromTheIndexesAgreeWithTheTasksAndTheirVisibility() async throws {
        try await TestDatabase.withClient { client, _ in
            try await Self.plant(Self.seeds, on: client)
            let lists = PostgresTaskListStore(client: client, logger: TestDatabase.logger)
            // Person 9 reaches repository 201 and asked for some tasks on 200 and 202 as well.
            let visible = Self.seeds.filter { $0.repository == 201 || $0.requester == 9 }
            #expect(visible.count > Self.seeds.filter { $0.repository == 201 }.count)
            let stats = try await lists.stats(userID: 9, repositories: [201], filter: TaskFilter())
            #expect(stats == Self.expectedStats(visible))

            var codex = TaskFilter()
            codex.agent = .codex
            codex.statuses = [.failed]
            let codexSeeds = visible.filter { $0.agent == .codex }
            let counts = try await lists.counts(userID: 9, repositories: [201], filter: codex)
            for status in TaskStatus.allCases {
                #expect(counts[status.rawValue] == codexSeeds.filter { $0.status == status }.count, "\(status)")
            }
            #expect(
                try await lists.stats(userID: 9, repositories: [201], filter: codex)
                    == Self.expectedStats(codexSeeds.filter { $0.status == .failed }))

            // The duration the database writes: from start, or creation when the task never started.
            let durations = try await client.query(
                "SELECT status, duration_seconds FROM tasks WHERE duration_seconds IS NOT NULL ORDER BY issue_number"
            ).collect().map { try $0.decode((String, Double).self) }
            #expect(
                durations.map(\.1)
                    == Self.seeds.compactMap { seed in seed.seconds.map(Double.init) })

            let agents = try await PostgresAgentStatsStore(client: client, logger: TestDatabase.logger).stats(
                userID: 9, repositories: [201], window: .all)
            for line in agents {
                let mine = visible.filter { $0.agent.rawValue == line.agent }
                let expected = Self.expectedStats(mine)
                #expect(line.runs == mine.count)
                #expect(line.succeeded == expected.succeeded)
                #expect(line.medianDurationSeconds == expected.medianDurationSeconds)
                #expect(line.p90DurationSeconds == expected.p90DurationSeconds)
                #expect(line.pullRequestsOpened == expected.pullRequestsOpened)
            }
            #expect(agents.map(\.runs).reduce(0, +) == visible.count)
        }
    }

    /// Kept figures are served until a task changes, and not a moment longer: a change made with the
    /// triggers off (which no service can do) shows that the answer was kept; an ordinary change
    /// then shows in the very next answer, with no wait for its announcement.
    @Test func keptFiguresHoldUntilATaskChanges() async throws {
        try await TestDatabase.withClient { client, _ in
            try await Self.plant(Self.seeds, on: client)
            let feed = TaskChangeFeed(client: client, logger: TestDatabase.logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await feed.run() }
                defer { group.cancelAll() }
                try await waitUntil("the feed listens") { feed.isListening }

                let figures = TaskFigures(feed: feed, client: client, logger: TestDatabase.logger)
                let lists = PostgresTaskListStore(client: client, logger: TestDatabase.logger, figures: figures)
                let agents = PostgresAgentStatsStore(client: client, logger: TestDatabase.logger, figures: figures)
                var claude = TaskFilter()
                claude.agent = .claude
                let before = try await lists.stats(userID: 9, repositories: [201], filter: TaskFilter())
                let counted = try await lists.counts(userID: 9, repositories: [201], filter: claude)
                let lines = try await agents.stats(userID: 9, repositories: [201], window: .all)
                func offered(_ typed: String) async throws -> [String] {
                    try await lists.suggestions(
                        .repo, containing: typed, userID: 9, repositories: [201], filter: TaskFilter(), limit: 10
                    ).map(\.value)
                }
                let offers = try await offered("")
                #expect(!offers.contains("octo/renamed"))

                try await Self.unannounced(
                    """
                    UPDATE tasks SET pull_request_number = NULL, pull_request_url = NULL, agent = 'codex',
                        repository_full_name = 'octo/renamed'
                    """,
                    on: client)
                #expect(try await offered("") == offers)
                // What is typed is always read.
                #expect(try await offered("octo") == ["octo/renamed"])
                #expect(try await lists.stats(userID: 9, repositories: [201], filter: TaskFilter()) == before)
                #expect(try await lists.counts(userID: 9, repositories: [201], filter: claude) == counted)
                #expect(try await agents.stats(userID: 9, repositories: [201], window: .all) == lines)
                // Another filter, another figure: read now.
                #expect(try await lists.stats(userID: 9, repositories: [201], filter: claude).tasks == 0)

                let queued = try await client.query(
                    "SELECT id FROM tasks WHERE status = 'queued' AND repository_id = 201 LIMIT 1"
                ).collect().first!.decode(UUID.self)
                _ = try await PostgresTaskRepository(client: client, logger: TestDatabase.logger).transition(
                    id: queued, to: .cancelled, reason: nil)
                let after = try await lists.stats(userID: 9, repositories: [201], filter: TaskFilter())
                #expect(after.tasks == before.tasks)
                #expect(after.finished == before.finished + 1)
                #expect(after.pullRequestsOpened == 0)
                #expect(try await lists.counts(userID: 9, repositories: [201], filter: claude).values.reduce(0, +) == 0)
                #expect(
                    try await agents.stats(userID: 9, repositories: [201], window: .all).map(\.agent) == ["codex"])
                #expect(try await offered("") == ["octo/renamed"])
            }
        }
    }

    /// Without a listening feed nothing is kept: every answer is read.
    @Test func nothingIsKeptWhileTheFeedIsNotListening() async throws {
        try await TestDatabase.withClient { client, _ in
            try await Self.plant(Self.seeds, on: client)
            let feed = TaskChangeFeed(client: client, logger: TestDatabase.logger)
            let lists = PostgresTaskListStore(
                client: client, logger: TestDatabase.logger,
                figures: TaskFigures(feed: feed, client: client, logger: TestDatabase.logger))
            let before = try await lists.stats(userID: 9, repositories: [201], filter: TaskFilter())
            try await Self.unannounced("UPDATE tasks SET pull_request_number = NULL", on: client)
            let after = try await lists.stats(userID: 9, repositories: [201], filter: TaskFilter())
            #expect(before.pullRequestsOpened > 0)
            #expect(after.pullRequestsOpened == 0)
        }
    }

    /// Runs `sql` with the triggers off, so no change number moves and nothing is announced.
    static func unannounced(_ sql: String, on client: PostgresClient) async throws {
        try await client.withConnection { connection in
            try await connection.query("SET session_replication_role = replica", logger: TestDatabase.logger)
            try await connection.query(PostgresQuery(unsafeSQL: sql), logger: TestDatabase.logger)
            try await connection.query("SET session_replication_role = origin", logger: TestDatabase.logger)
        }
    }

    // MARK: The cache on its own

    final class Counter: Sendable {
        let reads = Mutex(0)
        let generation = Mutex<Int64>(0)
        func generationNow() -> FigureCache<String, Int>.Generation? {
            FigureCache<String, Int>.Generation(announced: 0, stored: generation.withLock { $0 })
        }
    }

    @Test func callersAskingAtOnceShareOneRead() async throws {
        let counter = Counter()
        let cache = FigureCache<String, Int>(generation: { counter.generationNow() })
        let gate = AsyncStream<Void>.makeStream()
        let values = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    try await cache.value(for: "k") {
                        counter.reads.withLock { $0 += 1 }
                        for await _ in gate.stream { break }
                        return 42
                    }
                }
            }
            try await waitUntil("the read started") { counter.reads.withLock { $0 } == 1 }
            // Every caller is in: either waiting on the one read or about to find it.
            try await Task.sleep(for: .milliseconds(50))
            gate.continuation.finish()
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(values == Array(repeating: 42, count: 8))
        #expect(counter.reads.withLock { $0 } == 1)
    }

    @Test func aFailedReadIsNotKeptAndAMovedGenerationRereads() async throws {
        struct Refused: Error {}
        let counter = Counter()
        let cache = FigureCache<String, Int>(generation: { counter.generationNow() }, capacity: 2)
        await #expect(throws: Refused.self) { try await cache.value(for: "a") { throw Refused() } }
        #expect(cache.count == 0)
        #expect(try await cache.value(for: "a") { 1 } == 1)
        #expect(try await cache.value(for: "a") { 2 } == 1)
        counter.generation.withLock { $0 += 1 }
        #expect(try await cache.value(for: "a") { 3 } == 3)
        // Room for two: a third answer pushes out the oldest.
        #expect(try await cache.value(for: "b") { 4 } == 4)
        #expect(try await cache.value(for: "c") { 5 } == 5)
        #expect(cache.count == 2)
        #expect(try await cache.value(for: "c") { 6 } == 5)
        #expect(try await cache.value(for: "a") { 7 } == 7)
    }

    @Test func anAnswerIsKeptNoLongerThanItsQuietPeriod() async throws {
        let counter = Counter()
        let cache = FigureCache<String, Int>(generation: { counter.generationNow() }, quiet: .milliseconds(1))
        #expect(try await cache.value(for: "a") { 1 } == 1)
        try await Task.sleep(for: .milliseconds(5))
        #expect(try await cache.value(for: "a") { 2 } == 2)
    }
}
