import Foundation
import PorterKit
import PorterTestSupport
import PostgresNIO
import Testing

/// The counts the database keeps per repository and status agree with the tasks themselves through
/// creation, concurrent status changes in both directions and deletion, and the feed's counts read them.
@Suite struct TaskCountsTests {
    static func newTask(repository: Int64, issue: Int, requester: Int64 = 9) -> NewTask {
        NewTask(
            issue: IssueReference(
                installationID: 1, repositoryID: repository, repositoryFullName: "octo/r\(repository)", number: issue),
            requester: Requester(id: requester, login: "u\(requester)"),
            request: TaskRequest(agent: .claude, instructions: "x"))
    }

    static func kept(_ client: PostgresClient) async throws -> [String: Int64] {
        var counts: [String: Int64] = [:]
        for try await (repository, status, tasks) in try await client.query(
            """
            SELECT repository_id, status, sum(tasks)::bigint FROM task_counts
            GROUP BY repository_id, status HAVING sum(tasks) <> 0
            """
        ).decode((Int64, String, Int64).self) { counts["\(repository) \(status)"] = tasks }
        return counts
    }

    static func counted(_ client: PostgresClient) async throws -> [String: Int64] {
        var counts: [String: Int64] = [:]
        for try await (repository, status, tasks) in try await client.query(
            "SELECT repository_id, status, count(*)::bigint FROM tasks GROUP BY repository_id, status"
        ).decode((Int64, String, Int64).self) { counts["\(repository) \(status)"] = tasks }
        return counts
    }

    @Test func keptCountsFollowEveryChangeEvenConcurrentOnes() async throws {
        try await TestDatabase.withClient { client, _ in
            let tasks = PostgresTaskRepository(client: client, logger: TestDatabase.logger)
            var ids: [UUID] = []
            for issue in 1...40 {
                ids.append(try await tasks.create(Self.newTask(repository: Int64(100 + issue % 2), issue: issue)).id)
            }
            // Tasks of one repository moving forward and back at once, as replicas do.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, id) in ids.enumerated() {
                    group.addTask {
                        _ = try await tasks.transition(id: id, to: .dispatching, reason: nil)
                        if index % 3 == 0 {
                            _ = try await tasks.transition(id: id, to: .queued, reason: nil)
                        } else {
                            _ = try await tasks.transition(id: id, to: .running, reason: nil)
                            _ = try await tasks.transition(
                                id: id, to: index % 2 == 0 ? .succeeded : .failed, reason: nil)
                        }
                    }
                }
                try await group.waitForAll()
            }
            try await client.query("DELETE FROM tasks WHERE id = \(ids[1])")
            let kept = try await Self.kept(client)
            #expect(kept == (try await Self.counted(client)))
            #expect(kept.values.reduce(0, +) == 39)

            let lists = PostgresTaskListStore(client: client, logger: TestDatabase.logger)
            // Repository 101 is reachable; requester 9 also sees their own tasks on 100.
            let feed = try await lists.counts(userID: 9, repositories: [101], filter: TaskFilter())
            var filtered = TaskFilter()
            filtered.statuses = [.failed]
            #expect(feed == (try await lists.counts(userID: 9, repositories: [101], filter: filtered)))
            #expect(feed.values.reduce(0, +) == 39)
            let stranger = try await lists.counts(userID: 77, repositories: [101], filter: TaskFilter())
            #expect(stranger.values.reduce(0, +) == 20)
            var searched = TaskFilter()
            searched.agent = .claude
            #expect(stranger == (try await lists.counts(userID: 77, repositories: [101], filter: searched)))
        }
    }

    /// Migration 22 on a database that already holds tasks: the striped counts start equal to the
    /// tasks' and follow them.
    @Test func stripedCountsStartFromTheTasksAlreadyStored() async throws {
        try await TestDatabase.withClient(migrated: false) { client, _ in
            let before = Migration.all.filter { $0.version < 22 }
            _ = try await Migrator(migrations: before, logger: TestDatabase.logger).migrate(client)
            let tasks = PostgresTaskRepository(client: client, logger: TestDatabase.logger)
            var ids: [UUID] = []
            for issue in 1...24 {
                ids.append(try await tasks.create(Self.newTask(repository: 7, issue: issue)).id)
            }
            for id in ids.prefix(10) { _ = try await tasks.transition(id: id, to: .dispatching, reason: nil) }
            #expect(try await Migrator(logger: TestDatabase.logger).migrate(client).first == 22)
            #expect(try await Self.kept(client) == ["7 queued": 14, "7 dispatching": 10])

            for id in ids.prefix(10) { _ = try await tasks.transition(id: id, to: .running, reason: nil) }
            for id in ids.suffix(14) { _ = try await tasks.transition(id: id, to: .cancelled, reason: nil) }
            try await client.query("UPDATE tasks SET status = status")
            try await client.query("DELETE FROM tasks WHERE id = \(ids[0])")
            #expect(try await Self.kept(client) == ["7 running": 9, "7 cancelled": 14])
            #expect(try await Self.kept(client) == (try await Self.counted(client)))
        }
    }

    /// Two connections changing tasks of one repository at once do not wait for each other's commit
    /// on the counts (they did while a repository's status had one row).
    @Test func twoConnectionsCountingOneRepositoryDoNotWaitForEachOther() async throws {
        try await TestDatabase.withClient { client, url in
            let tasks = PostgresTaskRepository(client: client, logger: TestDatabase.logger)
            let first = try await tasks.create(Self.newTask(repository: 8, issue: 1)).id
            let second = try await tasks.create(Self.newTask(repository: 8, issue: 2)).id
            // Two server processes that count in different stripes (the stripe is the process id
            // modulo 16): connections are opened until two differ.
            var connections: [(connection: PostgresConnection, stripe: Int32)] = []
            do {
                var pair: (holder: PostgresConnection, other: PostgresConnection)?
                while pair == nil, connections.count < 17 {
                    let connection = try await TestDatabase.connect(url)
                    let pid = try await connection.query("SELECT pg_backend_pid()", logger: TestDatabase.logger)
                        .collect().first?.decode(Int32.self)
                    connections.append((connection, try #require(pid) % 16))
                    if let other = connections.first(where: { $0.stripe != connections.last?.stripe }) {
                        pair = (other.connection, connection)
                    }
                }
                let (holder, other) = try #require(pair)
                try await holder.query("BEGIN", logger: TestDatabase.logger)
                try await holder.query(
                    "UPDATE tasks SET status = 'dispatching' WHERE id = \(first)", logger: TestDatabase.logger)
                // The first change is not committed; had the second to wait for it, it would fail here.
                try await other.query("SET lock_timeout = '10s'", logger: TestDatabase.logger)
                do {
                    try await other.query(
                        "UPDATE tasks SET status = 'dispatching' WHERE id = \(second)", logger: TestDatabase.logger)
                } catch {
                    Issue.record("the second change waited for the first one's commit: \(String(reflecting: error))")
                }
                try await holder.query("COMMIT", logger: TestDatabase.logger)
            } catch {
                for (connection, _) in connections { try? await connection.close() }
                throw error
            }
            for (connection, _) in connections { try? await connection.close() }
            #expect(try await Self.kept(client) == ["8 dispatching": 2])
        }
    }
}
