import Foundation
import PorterKit
import PorterTestSupport
import PostgresNIO
import Testing

/// The figure table web-api counts the stat cards, the history's totals and the agents' table from: the
/// same figures as the database's, to the last bit, across filters, windows and visibility; current
/// with every change committed before an answer; and loaded anew when announcements may have been lost.
@Suite(.timeLimit(.minutes(3))) struct TaskFigureTableTests {
    /// Runs `body` with a listening feed and a loaded figure table over `client`'s database.
    static func withTable(
        _ client: PostgresClient, _ body: (TaskChangeFeed, TaskFigures) async throws -> Void
    ) async throws {
        let feed = TaskChangeFeed(client: client, heartbeat: .seconds(1), logger: TestDatabase.logger)
        let figures = TaskFigures(feed: feed, client: client, logger: TestDatabase.logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await feed.run() }
            defer { group.cancelAll() }
            // The table after the feed listens, so it loads once: one starting beside the feed may load,
            // hear the feed's `.missed` as it starts listening, and be loaded again a moment later
            // (answers meanwhile come from the database, which would hide what these tests look at).
            try await waitUntil("the feed listens") { feed.isListening }
            group.addTask { try await figures.table.run() }
            try await waitUntil("the figure table is current") { try await figures.table.snapshot() != nil }
            try await body(feed, figures)
        }
    }

    @Test func theTableCountsExactlyWhatTheDatabaseCounts() async throws {
        try await TestDatabase.withClient { client, _ in
            _ = try await TaskOutcomeFiguresTests.plant(count: 400, on: client)
            // Some pull requests a reviewer closed from the review page.
            try await client.query(
                "UPDATE tasks SET rejected_at = now() WHERE pull_request_state = 'closed' AND issue_number % 2 = 0")
            let database = PostgresTaskListStore(client: client, logger: TestDatabase.logger)
            let agents = PostgresAgentStatsStore(client: client, logger: TestDatabase.logger)
            try await Self.withTable(client) { _, figures in
                let table = try #require(try await figures.table.snapshot())
                #expect(table.count == 400)
                let now = Date()
                var filters: [(String, TaskFilter)] = [("none", TaskFilter())]
                var dates = TaskFilter()
                dates.from = now.addingTimeInterval(-20 * 86_400)
                dates.to = now.addingTimeInterval(-3 * 86_400)
                filters.append(("dates", dates))
                var codex = TaskFilter()
                codex.agent = .codex
                filters.append(("agent", codex))
                var gemini = TaskFilter()
                gemini.agent = .gemini
                filters.append(("an agent with no task", gemini))
                var statuses = TaskFilter()
                statuses.statuses = [.failed, .timedOut, .running]
                filters.append(("statuses", statuses))
                var repository = TaskFilter()
                repository.repository = "O/R303"
                repository.from = dates.from
                filters.append(("repository and date", repository))
                var blank = TaskFilter()
                blank.search = "  "
                filters.append(("blank search", blank))

                for (userID, repositories) in [
                    (Int64(9), [Int64(301), 302]), (9, []), (51, [301, 302, 303]), (77, [304]), (404, [999]),
                ] {
                    for (name, filter) in filters {
                        let counted = try #require(
                            table.stats(userID: userID, repositories: repositories, filter: filter))
                        let read = try await database.stats(userID: userID, repositories: repositories, filter: filter)
                        #expect(counted == read, "person \(userID) reaching \(repositories), filter \(name)")
                        // The history's totals: every status's count, whatever statuses the filter names.
                        var unfiltered = filter
                        unfiltered.statuses = []
                        let totals = table.statusCounts(userID: userID, repositories: repositories, filter: unfiltered)
                        let readTotals = try await database.counts(
                            userID: userID, repositories: repositories, filter: filter)
                        #expect(totals == readTotals, "totals for \(userID) reaching \(repositories), filter \(name)")
                    }
                    for window in AgentStatsWindow.allCases {
                        let counted = table.agentLines(
                            userID: userID, repositories: repositories, since: window.start(before: now))
                        let read = try await agents.stats(
                            userID: userID, repositories: repositories, window: window, now: now)
                        #expect(counted == read, "person \(userID) reaching \(repositories), \(window)")
                    }
                }
                // The random tasks cover what the figures tell apart.
                let all = try #require(table.stats(userID: 51, repositories: [301, 302, 303], filter: TaskFilter()))
                #expect(all.finished > 100 && all.succeeded < all.finished && all.tasks > all.finished)
                let lines = table.agentLines(userID: 51, repositories: [301, 302, 303, 304], since: nil)
                #expect(lines.contains { $0.pullRequestsRejected > 0 } && lines.contains { $0.model == nil })

                // Branch, issue and title words are left to the database's indexes.
                for narrowed in [\TaskFilter.branch, \.search] as [WritableKeyPath<TaskFilter, String?>] {
                    var filter = TaskFilter()
                    filter[keyPath: narrowed] = "porter/b1"
                    #expect(table.stats(userID: 9, repositories: [301], filter: filter) == nil)
                }
                var issue = TaskFilter()
                issue.issueNumber = 3
                #expect(table.stats(userID: 9, repositories: [301], filter: issue) == nil)
            }
        }
    }

    /// An answer counts every change committed before it, announced or not yet; a change that no service
    /// can make (triggers off: no change number, no announcement) shows the answer came from the table,
    /// until announcements are lost and the table is loaded anew.
    @Test func theTableFollowsEveryChangeAndIsLoadedAnewWhenAnnouncementsAreLost() async throws {
        try await TestDatabase.withClient { client, url in
            try await TaskFiguresTests.plant(TaskFiguresTests.seeds, on: client)
            try await Self.withTable(client) { _, figures in
                let lists = PostgresTaskListStore(client: client, logger: TestDatabase.logger, figures: figures)
                let agents = PostgresAgentStatsStore(client: client, logger: TestDatabase.logger, figures: figures)
                let database = PostgresAgentStatsStore(client: client, logger: TestDatabase.logger)
                let before = try await lists.stats(userID: 9, repositories: [201], filter: TaskFilter())
                #expect(before.pullRequestsOpened > 0)
                try await TaskFiguresTests.unannounced("UPDATE tasks SET pull_request_number = NULL", on: client)
                // A filter asked for the first time: nothing was kept for it, and yet the table answers.
                var since = TaskFilter()
                since.from = Date(timeIntervalSince1970: 0)
                #expect(try await lists.stats(userID: 9, repositories: [201], filter: since) == before)
                #expect(
                    try await agents.stats(userID: 9, repositories: [201], window: .all)
                        .map(\.pullRequestsOpened).reduce(0, +) == before.pullRequestsOpened)

                // A change the services make shows in the very next answer, announced or not yet.
                let queued = try await client.query(
                    "SELECT id FROM tasks WHERE status = 'queued' AND repository_id = 201 LIMIT 1"
                ).collect().first!.decode(UUID.self)
                _ = try await PostgresTaskRepository(client: client, logger: TestDatabase.logger).transition(
                    id: queued, to: .cancelled, reason: nil)
                let after = try await lists.stats(userID: 9, repositories: [201], filter: TaskFilter())
                #expect(after.finished == before.finished + 1)
                #expect(after.tasks == before.tasks)
                let counted = try await agents.stats(userID: 9, repositories: [201], window: .all)
                let read = try await database.stats(userID: 9, repositories: [201], window: .all)
                #expect(counted.map(\.cancelled) == read.map(\.cancelled))
                #expect(counted.map(\.finished) == read.map(\.finished))

                // The server ends the listening connection (as a restart does): what was announced
                // meanwhile is lost, so the table is loaded anew, and then holds the unannounced change.
                try await TestDatabase.admin(
                    try TestDatabase.serverURL,
                    """
                    SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                    WHERE datname = '\(url.database)' AND query ILIKE 'LISTEN%'
                    """)
                try await waitUntil("the table is loaded anew") {
                    guard figures.table.isCurrent, let table = try await figures.table.snapshot() else { return false }
                    return table.stats(userID: 9, repositories: [201], filter: TaskFilter())?.pullRequestsOpened == 0
                }
                #expect(try await lists.stats(userID: 9, repositories: [201], filter: since).pullRequestsOpened == 0)
            }
        }
    }
}
