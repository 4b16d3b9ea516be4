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
            "SELECT repository_id, status, tasks FROM task_counts WHERE tasks <> 0"
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
}
