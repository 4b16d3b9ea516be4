import Foundation
import PorterKit
import PorterTestSupport
import PostgresNIO
import Testing

@Suite struct TaskRepositoryTests {
    static func newTask(issue: Int = 7) -> NewTask {
        NewTask(
            issue: IssueReference(installationID: 1, repositoryID: 42, repositoryFullName: "octo/repo", number: issue),
            requester: Requester(id: 9, login: "octocat"),
            request: TaskRequest(
                agent: .claude, model: "opus", priority: .high, instructions: "fix the flaky login test"),
            triggerCommentID: 555, deliveryID: UUID().uuidString)
    }

    @Test func createdTasksAreQueuedAndReadBackWhole() async throws {
        try await TestDatabase.withClient { client, _ in
            let repository = PostgresTaskRepository(client: client, logger: TestDatabase.logger)
            let new = Self.newTask()
            let created = try await repository.create(new)
            #expect(created.status == .queued)
            let found = try #require(try await repository.find(id: new.id))
            #expect(found == created)
            #expect(found.request == new.request)
            #expect(found.issue == new.issue)
            #expect(try await repository.events(taskID: new.id).map(\.message) == ["queued"])
        }
    }

    @Test func allowedTransitionsMoveAndAreRecordedInTheTimeline() async throws {
        try await TestDatabase.withClient { client, _ in
            let repository = PostgresTaskRepository(client: client, logger: TestDatabase.logger)
            let task = try await repository.create(Self.newTask())
            #expect(
                try await repository.transition(id: task.id, to: .dispatching, reason: nil) == .moved(from: .queued))
            #expect(
                try await repository.transition(id: task.id, to: .running, reason: nil) == .moved(from: .dispatching))
            #expect(
                try await repository.transition(id: task.id, to: .succeeded, reason: "PR #3") == .moved(from: .running))
            let stored = try #require(try await repository.find(id: task.id))
            #expect(stored.status == .succeeded)
            #expect(stored.finishedAt != nil)
            #expect(
                try await repository.events(taskID: task.id).map(\.message)
                    == ["queued", "dispatching", "running", "succeeded: PR #3"])
        }
    }

    @Test(arguments: Array(TaskStatus.terminal))
    func aTerminalTaskStaysPutThroughTheRepository(terminal: TaskStatus) async throws {
        try await TestDatabase.withClient { client, _ in
            let repository = PostgresTaskRepository(client: client, logger: TestDatabase.logger)
            let task = try await repository.create(Self.newTask())
            for step in Self.path(to: terminal) {
                _ = try await repository.transition(id: task.id, to: step, reason: nil)
            }
            #expect(try await repository.find(id: task.id)?.status == terminal)
            let eventsBefore = try await repository.events(taskID: task.id).count
            for target in TaskStatus.allCases {
                #expect(
                    try await repository.transition(id: task.id, to: target, reason: "late")
                        == .unchanged(current: terminal))
            }
            #expect(try await repository.find(id: task.id)?.status == terminal)
            #expect(try await repository.events(taskID: task.id).count == eventsBefore)
        }
    }

    @Test(arguments: Array(TaskStatus.terminal))
    func aTerminalTaskStaysPutThroughRawSQL(terminal: TaskStatus) async throws {
        try await TestDatabase.withClient { client, _ in
            let repository = PostgresTaskRepository(client: client, logger: TestDatabase.logger)
            let task = try await repository.create(Self.newTask())
            for step in Self.path(to: terminal) {
                _ = try await repository.transition(id: task.id, to: step, reason: nil)
            }
            for target in TaskStatus.allCases where target != terminal {
                await #expect(throws: PSQLError.self) {
                    try await client.query("UPDATE tasks SET status = \(target.rawValue) WHERE id = \(task.id)")
                }
            }
            #expect(try await repository.find(id: task.id)?.status == terminal)
        }
    }

    @Test func skippingAStateIsRefused() async throws {
        try await TestDatabase.withClient { client, _ in
            let repository = PostgresTaskRepository(client: client, logger: TestDatabase.logger)
            let task = try await repository.create(Self.newTask())
            #expect(
                try await repository.transition(id: task.id, to: .succeeded, reason: nil)
                    == .unchanged(current: .queued))
            await #expect(throws: PSQLError.self) {
                try await client.query("UPDATE tasks SET status = 'running' WHERE id = \(task.id)")
            }
            #expect(try await repository.find(id: task.id)?.status == .queued)
        }
    }

    @Test func aTaskCannotBeInsertedPastQueued() async throws {
        try await TestDatabase.withClient { client, _ in
            await #expect(throws: PSQLError.self) {
                try await client.query(
                    """
                    INSERT INTO tasks (id, installation_id, repository_id, repository_full_name, issue_number,
                        requester_id, requester_login, agent, status)
                    VALUES (\(UUID()), 1, 1, 'a/b', 1, 1, 'x', 'claude', 'succeeded')
                    """)
            }
        }
    }

    @Test func concurrentFinishesProduceExactlyOneTerminalState() async throws {
        try await TestDatabase.withClient { client, _ in
            let repository = PostgresTaskRepository(client: client, logger: TestDatabase.logger)
            let task = try await repository.create(Self.newTask())
            _ = try await repository.transition(id: task.id, to: .dispatching, reason: nil)
            _ = try await repository.transition(id: task.id, to: .running, reason: nil)
            let targets: [TaskStatus] = Array(repeating: [.succeeded, .failed, .timedOut, .cancelled], count: 5).flatMap
            { $0 }
            let outcomes = try await withThrowingTaskGroup(of: TransitionOutcome.self) { group in
                for target in targets {
                    group.addTask { try await repository.transition(id: task.id, to: target, reason: nil) }
                }
                return try await group.reduce(into: [TransitionOutcome]()) { $0.append($1) }
            }
            #expect(outcomes.filter(\.moved).count == 1)
            let final = try #require(try await repository.find(id: task.id)?.status)
            #expect(final.isTerminal)
            #expect(outcomes.filter { $0 == .unchanged(current: final) }.count == targets.count - 1)
        }
    }

    @Test func onlyOneActiveTaskPerIssueIsAllowedByTheDatabase() async throws {
        try await TestDatabase.withClient { client, _ in
            let repository = PostgresTaskRepository(client: client, logger: TestDatabase.logger)
            let first = try await repository.create(Self.newTask(issue: 11))
            let second = try await repository.create(Self.newTask(issue: 11))
            _ = try await repository.transition(id: first.id, to: .dispatching, reason: nil)
            await #expect(throws: (any Error).self) {
                _ = try await repository.transition(id: second.id, to: .dispatching, reason: nil)
            }
            #expect(try await repository.find(id: second.id)?.status == .queued)
        }
    }

    @Test func aFollowUpIsReadBackWithItsKindOriginCommentKindAndLines() async throws {
        try await TestDatabase.withClient { client, _ in
            let repository = PostgresTaskRepository(client: client, logger: TestDatabase.logger)
            let opener = try await repository.create(Self.newTask(issue: 3))
            #expect(opener.kind == .issue)
            #expect(opener.followUpOf == nil)
            #expect(opener.triggerCommentKind == nil)
            #expect(try await repository.followUp(taskID: opener.id) == nil)

            let lines = FollowUpRequest(
                source: .reviewComment, reviewID: 80, commentID: 9001, path: "Sources/App/Login.swift", startLine: 10,
                line: 12, side: "RIGHT", diffHunk: "@@ -8,5 +8,6 @@\n let a = 1\n+let b = 2")
            var new = Self.newTask(issue: 12)
            new.kind = .followUp
            new.followUpOf = opener.id
            new.triggerCommentKind = .reviewComment
            new.followUp = lines
            let created = try await repository.create(new)
            let found = try #require(try await repository.find(id: new.id))
            #expect(found == created)
            #expect(found.kind == .followUp)
            #expect(found.followUpOf == opener.id)
            #expect(found.triggerCommentKind == .reviewComment)
            #expect(try await repository.followUp(taskID: new.id) == lines)

            // Each comment kind and source as stored.
            for (kind, source) in zip(CommentKind.allCases, FollowUpRequest.Source.allCases) {
                var other = Self.newTask(issue: 12)
                other.kind = .followUp
                other.triggerCommentKind = kind
                other.followUp = FollowUpRequest(source: source)
                _ = try await repository.create(other)
                #expect(try await repository.find(id: other.id)?.triggerCommentKind == kind)
                #expect(try await repository.followUp(taskID: other.id)?.source == source)
            }
        }
    }

    @Test func theDatabaseRefusesUnknownKindsAndCleansUpAfterAFollowUp() async throws {
        try await TestDatabase.withClient { client, _ in
            let repository = PostgresTaskRepository(client: client, logger: TestDatabase.logger)
            let opener = try await repository.create(Self.newTask(issue: 3))
            var new = Self.newTask(issue: 12)
            new.kind = .followUp
            new.followUpOf = opener.id
            new.followUp = FollowUpRequest(source: .conversation)
            _ = try await repository.create(new)
            let refused: [PostgresQuery] = [
                "UPDATE tasks SET kind = 'chore' WHERE id = \(new.id)",
                "UPDATE tasks SET trigger_comment_kind = 'commit_comment' WHERE id = \(new.id)",
                "UPDATE task_follow_ups SET source = 'push' WHERE task_id = \(new.id)",
            ]
            for statement in refused {
                await #expect(throws: PSQLError.self) { try await client.query(statement) }
            }
            try await client.query("DELETE FROM tasks WHERE id = \(opener.id)")
            #expect(try await repository.find(id: new.id)?.followUpOf == nil)
            try await client.query("DELETE FROM tasks WHERE id = \(new.id)")
            let left = try await client.query("SELECT count(*) FROM task_follow_ups").collect().first?.decode(Int.self)
            #expect(left == 0)
        }
    }

    @Test func unknownTaskIsReportedNotFound() async throws {
        try await TestDatabase.withClient { client, _ in
            let repository = PostgresTaskRepository(client: client, logger: TestDatabase.logger)
            let outcome = try await repository.transition(id: UUID(), to: .dispatching, reason: nil)
            let found = try await repository.find(id: UUID())
            #expect(outcome == .notFound)
            #expect(found == nil)
        }
    }

    /// The shortest way from queued to `status`.
    static func path(to status: TaskStatus) -> [TaskStatus] {
        switch status {
        case .queued: []
        case .dispatching: [.dispatching]
        case .running: [.dispatching, .running]
        case .cancelled: [.cancelled]
        case .succeeded, .failed, .timedOut: [.dispatching, .running, status]
        }
    }
}
