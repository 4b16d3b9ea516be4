import Foundation
import NIOCore
import PorterKit
import PorterTestSupport
import PostgresNIO
import Testing

@Suite struct DispatchRepositoryTests {
    static func task(user: Int64 = 9, issue: Int) -> NewTask {
        NewTask(
            issue: IssueReference(installationID: 1, repositoryID: 42, repositoryFullName: "octo/repo", number: issue),
            requester: Requester(id: user, login: "user\(user)"), request: TaskRequest(agent: .codex, instructions: "x")
        )
    }

    static func admitAll(
        _ repository: PostgresDispatchRepository, _ ids: [UUID], limit: Int
    ) async throws -> [Admission] {
        try await withThrowingTaskGroup(of: Admission.self) { group in
            for id in ids { group.addTask { try await repository.admit(taskID: id, maxActivePerUser: limit) } }
            return try await group.reduce(into: [Admission]()) { $0.append($1) }
        }
    }

    @Test func concurrentAdmissionsNeverPutAUserOverTheLimit() async throws {
        try await TestDatabase.withClient { client, _ in
            let tasks = PostgresTaskRepository(client: client, logger: TestDatabase.logger)
            var ids: [UUID] = []
            for issue in 1...20 { ids.append(try await tasks.create(Self.task(issue: issue)).id) }
            let outcomes = try await Self.admitAll(
                PostgresDispatchRepository(client: client, logger: TestDatabase.logger), ids, limit: 5)
            #expect(outcomes.filter { $0 == .admitted }.count == 5)
            #expect(outcomes.filter { $0 == .waitingForUserSlot(active: 5) }.count == 15)
            let active = try await client.query("SELECT count(*) FROM tasks WHERE status = 'dispatching'").collect()
                .first?
                .decode(Int.self)
            #expect(active == 5)
        }
    }

    @Test func anotherUserIsNotHeldBackByTheFirstUsersLimit() async throws {
        try await TestDatabase.withClient { client, _ in
            let tasks = PostgresTaskRepository(client: client, logger: TestDatabase.logger)
            let dispatch = PostgresDispatchRepository(client: client, logger: TestDatabase.logger)
            let first = try await tasks.create(Self.task(user: 1, issue: 1))
            let second = try await tasks.create(Self.task(user: 1, issue: 2))
            let other = try await tasks.create(Self.task(user: 2, issue: 3))
            #expect(try await dispatch.admit(taskID: first.id, maxActivePerUser: 1) == .admitted)
            #expect(try await dispatch.admit(taskID: second.id, maxActivePerUser: 1) == .waitingForUserSlot(active: 1))
            #expect(try await dispatch.admit(taskID: other.id, maxActivePerUser: 1) == .admitted)
        }
    }

    @Test func aSecondTaskOnTheSameIssueWaitsBehindTheFirst() async throws {
        try await TestDatabase.withClient { client, _ in
            let tasks = PostgresTaskRepository(client: client, logger: TestDatabase.logger)
            let ids = [try await tasks.create(Self.task(issue: 7)).id, try await tasks.create(Self.task(issue: 7)).id]
            let outcomes = try await Self.admitAll(
                PostgresDispatchRepository(client: client, logger: TestDatabase.logger), ids, limit: 5)
            #expect(outcomes.filter { $0 == .admitted }.count == 1, "\(outcomes)")
            let waiting = outcomes.first { $0 != .admitted }
            guard case .waitingForIssue(let blocker) = waiting else {
                Issue.record("expected the second task to wait for the issue, got \(String(describing: waiting))")
                return
            }
            #expect(ids.contains(blocker))
        }
    }

    @Test func aTaskThatIsNoLongerQueuedIsNotAdmitted() async throws {
        try await TestDatabase.withClient { client, _ in
            let tasks = PostgresTaskRepository(client: client, logger: TestDatabase.logger)
            let dispatch = PostgresDispatchRepository(client: client, logger: TestDatabase.logger)
            let task = try await tasks.create(Self.task(issue: 1))
            _ = try await tasks.transition(id: task.id, to: .cancelled, reason: "stop")
            #expect(try await dispatch.admit(taskID: task.id, maxActivePerUser: 5) == .notQueued(.cancelled))
            #expect(try await dispatch.admit(taskID: UUID(), maxActivePerUser: 5) == .notFound)
        }
    }

    @Test func anAttemptIsWrittenOnceAndFoundAgainAfterACrash() async throws {
        try await TestDatabase.withClient { client, _ in
            let tasks = PostgresTaskRepository(client: client, logger: TestDatabase.logger)
            let dispatch = PostgresDispatchRepository(client: client, logger: TestDatabase.logger)
            let task = try await tasks.create(Self.task(issue: 1))
            let deadline = Date().addingTimeInterval(1800)
            let token = TaskToken.generate()
            let keyring = try EncryptionKeyring(keys: [("k1", Array(repeating: 7, count: 32))])
            let context = "task_token:\(task.id.uuidString.lowercased())"
            let first = try await dispatch.beginAttempt(
                taskID: task.id, runtime: .fly, flyApp: "porter-workers", inRequesterApp: true, token: token,
                sealedToken: keyring.seal(Data(token.value.utf8), context: context), expiresAt: deadline)
            #expect(first.isNew)
            #expect(first.attempt.number == 1)
            #expect(first.attempt.machineName == "porter-\(task.id.uuidString.lowercased())-1")

            // The dispatcher died before recording the Machine: the same attempt comes back, with the
            // token and the app it was created with, not the new ones offered.
            let again = try await dispatch.beginAttempt(
                taskID: task.id, runtime: .fly, flyApp: "porter-workers", inRequesterApp: false,
                token: TaskToken.generate(), sealedToken: nil, expiresAt: deadline)
            #expect(!again.isNew)
            #expect(again.attempt == first.attempt)
            #expect(again.attempt.inRequesterApp == true)
            let sealed = try #require(again.attempt.sealedToken)
            #expect(try keyring.openString(sealed, context: context) == token.value)

            try await dispatch.recordMachine(taskID: task.id, number: 1, machineID: "3d8d9")
            let next = try await dispatch.beginAttempt(
                taskID: task.id, runtime: .fly, flyApp: "porter-workers", inRequesterApp: false,
                token: TaskToken.generate(), sealedToken: nil, expiresAt: deadline)
            #expect(next.isNew)
            #expect(next.attempt.number == 2)
            #expect(next.attempt.inRequesterApp == false)

            let stored = try await client.query(
                "SELECT token_hash FROM task_attempts WHERE task_id = \(task.id) AND number = 1"
            ).collect().first?.decode(ByteBuffer.self).readableBytesView.map { $0 }
            #expect(stored == token.hash)
            #expect(TaskToken.matches(token.value, storedHash: try #require(stored)))
        }
    }

    @Test func taskTokensAreRandomHashedAndCheckedExactly() {
        let token = TaskToken.generate()
        #expect(token.value.hasPrefix("ptk_"))
        #expect(token.value.count > 40)
        #expect(token != TaskToken.generate())
        #expect(TaskToken.matches(token.value, storedHash: token.hash))
        #expect(!TaskToken.matches(token.value + "x", storedHash: token.hash))
        #expect(!TaskToken.matches("", storedHash: token.hash))
        #expect(!"\(token)".contains(token.value))
        #expect(Redactor().redact("token \(token.value)").contains(token.value) == false)
    }
}
