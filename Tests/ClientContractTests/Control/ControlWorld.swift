import Foundation
import PorterKit
import PorterTestSupport
import PostgresNIO

/// Control verbs as the gateway records them, and waiting for the dispatcher to act on them.
extension DispatchWorld {
    /// `@porter <verb>` from `login` on issue `issue`: the comment on GitHub and its `control` job,
    /// with a delivery id of its own. Returns the comment's id.
    @discardableResult
    func command(
        _ verb: ControlVerb, by login: String, issue: Int = 1, userID: Int64 = 501, repositoryID: Int64 = 77,
        onPullRequest: Bool = false
    ) async throws -> Int {
        let comment = try await emulator.comment(
            owner: GitHubWorld.owner, repo: GitHubWorld.repo, issue: issue, author: login,
            body: "@porter \(verb.rawValue)")
        let delivery = UUID().uuidString
        let context = IssueContext(
            issue: IssueReference(
                installationID: Int64(github.installationID), repositoryID: repositoryID,
                repositoryFullName: "\(GitHubWorld.owner)/\(GitHubWorld.repo)", number: issue,
                isPullRequest: onPullRequest),
            requester: Requester(id: userID, login: login), commentID: Int64(comment))
        try await PostgresJobQueue(client: database, logger: TestDatabase.logger).enqueue(
            .control(ControlRequest(verb: verb, context: context, deliveryID: delivery)))
        return comment
    }

    /// Settles until `condition` holds: jobs that wait (a stop's grace period) become runnable meanwhile.
    func settle(
        _ dispatcher: TaskDispatcher, within limit: Duration = .seconds(60),
        until condition: @Sendable () async throws -> Bool
    ) async throws {
        let end = ContinuousClock.now + limit
        while ContinuousClock.now < end {
            try await settle(dispatcher)
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        try await settle(dispatcher)
        guard try await condition() else { throw ControlTestFailure("condition not met within \(limit)") }
    }

    func comments(issue: Int) -> [String] {
        emulator.comments(owner: GitHubWorld.owner, repo: GitHubWorld.repo, issue: issue)
    }

    func tasks(issue: Int = 1) async throws -> [(id: UUID, status: String, retryOf: UUID?)] {
        try await database.query(
            "SELECT id, status, retry_of FROM tasks WHERE issue_number = \(issue) ORDER BY created_at"
        ).collect().map { try $0.decode((UUID, String, UUID?).self) }.map { ($0.0, $0.1, $0.2) }
    }

    func jobCount(_ kind: JobKind) async throws -> Int {
        try await database.query("SELECT count(*) FROM jobs WHERE kind = \(kind.rawValue)").collect().first!
            .decode(Int.self)
    }
}

struct ControlTestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
