import Foundation
import PorterEmulators
import PorterKit
import PorterTestSupport
import Testing

/// Until the dispatcher runs follow-ups on a pull request's branch, it refuses them rather than run
/// one as an issue task (which would open a second pull request). Replace with the follow-up tests.
@Suite struct DispatchFollowUpGuardTests {
    static let lines = FollowUpRequest(
        source: .reviewComment, reviewID: 80, commentID: 9001, path: "README.md", line: 1, side: "RIGHT",
        diffHunk: "@@ -1 +1 @@\n-# Widgets\n+# Widgets!")

    /// A follow-up from alice, who may write, stored as the gateway stores one, with its dispatch job.
    static func followUp(_ world: DispatchWorld) async throws -> UUID {
        world.emulator.setRole(owner: "acme", repo: "widgets", user: "alice", role: "write")
        try await world.signUp("alice", secrets: ["ANTHROPIC_API_KEY": "sk-ant-alice-0123456789abcdef"])
        let comment = try await world.emulator.comment(
            owner: GitHubWorld.owner, repo: GitHubWorld.repo, issue: 1, author: "alice", body: "@porter claude fix it")
        let task = try await PostgresTaskRepository(client: world.database, logger: TestDatabase.logger).create(
            NewTask(
                issue: IssueReference(
                    installationID: Int64(world.github.installationID), repositoryID: 77,
                    repositoryFullName: "\(GitHubWorld.owner)/\(GitHubWorld.repo)", number: 1, isPullRequest: true),
                requester: Requester(id: 501, login: "alice"),
                request: TaskRequest(agent: .claude, instructions: "fix it"), triggerCommentID: Int64(comment),
                kind: .followUp, triggerCommentKind: .issueComment, followUp: lines))
        try await PostgresJobQueue(client: world.database, logger: TestDatabase.logger).enqueue(
            .dispatch(task.id, priority: .normal))
        return task.id
    }

    @Test func aFollowUpEndsFailedWithAReplyAndStartsNothing() async throws {
        try await DispatchWorld.run { world in
            let task = try await Self.followUp(world)
            try await world.settle(world.dispatcher())

            let (status, reason) = try await world.status(task)
            #expect(status == "failed")
            #expect(reason == "follow-ups are not available yet")
            #expect(
                world.comments.filter {
                    $0.hasPrefix("Follow-ups on pull requests are not available yet on this Porter.")
                }
                .count == 1)
            #expect(world.labels.isEmpty)
            #expect(world.fly.machines.isEmpty)
            #expect(world.secrets.accesses.isEmpty)
            let attempts = try await world.database.query(
                "SELECT count(*) FROM task_attempts WHERE task_id = \(task)"
            ).collect().first?.decode(Int.self)
            #expect(attempts == 0)
        }
    }

    /// A retry of a follow-up is a follow-up on the same lines, so the guard holds for it too.
    @Test func aRetriedFollowUpIsAFollowUpAndIsRefusedAlike() async throws {
        try await DispatchWorld.run { world in
            let first = try await Self.followUp(world)
            let dispatcher = world.dispatcher()
            try await world.settle(dispatcher)
            #expect(try await world.status(first).0 == "failed")

            try await world.command(.retry, by: "alice")
            try await world.settle(dispatcher) {
                let tasks = try await world.tasks()
                return tasks.count == 2 && tasks[1].status == "failed"
            }
            let tasks = try await world.tasks()
            try #require(tasks.count == 2)
            #expect(tasks[1].retryOf == first)
            let repository = PostgresTaskRepository(client: world.database, logger: TestDatabase.logger)
            let retried = try #require(try await repository.find(id: tasks[1].id))
            #expect(retried.kind == .followUp)
            #expect(try await repository.followUp(taskID: retried.id) == Self.lines)
            #expect(try await world.status(retried.id).1 == "follow-ups are not available yet")
            #expect(world.fly.machines.isEmpty)
        }
    }
}
