import Foundation
import Logging
import PostgresNIO

/// A pull request Porter opened, as Porter recorded it: the task that opened it and where it is.
public struct ReviewedPullRequest: Sendable, Equatable {
    public var taskID: UUID
    public var installationID: Int64
    public var repositoryID: Int64
    public var repository: String
    public var issueNumber: Int
    public var issueTitle: String?
    public var number: Int
    public var url: String?
    public var branch: String?
    public var agent: String
    public var model: String?
    public var requester: String
    public var requesterID: Int64
    /// `open`, `closed` or `merged`; open until a `pull_request` event said otherwise.
    public var state: String
    public var openedAt: Date
    public var rejectedBy: String?
}

/// The pull requests Porter opened, for review: the open ones a person may see, one at a time by
/// the task that opened it, and the rejection of one closed from the review page.
public struct PostgresReviewStore: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    static let columns = """
        id, installation_id, repository_id, repository_full_name, issue_number, issue_title, pull_request_number,
        pull_request_url, branch, agent, model, requester_login, coalesce(pull_request_state, 'open'),
        coalesce(finished_at, created_at), rejected_by, requester_id
        """

    /// The open pull requests Porter opened on `repositories` or that `userID` asked for, newest first.
    public func open(userID: Int64, repositories: [Int64], limit: Int) async throws -> [ReviewedPullRequest] {
        let query: PostgresQuery = """
            SELECT \(unescaped: Self.columns) FROM tasks
            WHERE kind = 'issue' AND pull_request_number IS NOT NULL
                AND coalesce(pull_request_state, 'open') = 'open'
                AND (repository_id = ANY(\(repositories)) OR requester_id = \(userID))
            ORDER BY finished_at DESC NULLS LAST, id DESC
            LIMIT \(limit)
            """
        return try await client.query(query, logger: logger).collect().map(Self.decode)
    }

    /// The pull request the task opened, or nil when it opened none.
    public func pullRequest(taskID: UUID) async throws -> ReviewedPullRequest? {
        let query: PostgresQuery = """
            SELECT \(unescaped: Self.columns) FROM tasks
            WHERE id = \(taskID) AND kind = 'issue' AND pull_request_number IS NOT NULL
            """
        return try await client.query(query, logger: logger).collect().first.map(Self.decode)
    }

    /// Follow-ups on the pull request, newest first: what the page shows live after changes were asked for.
    public func followUps(
        of taskID: UUID, limit: Int = 10
    ) async throws -> [(id: UUID, status: TaskStatus, createdAt: Date)] {
        try await client.query(
            """
            SELECT id, status, created_at FROM tasks WHERE follow_up_of = \(taskID)
            ORDER BY created_at DESC, id DESC LIMIT \(limit)
            """, logger: logger
        ).collect().map { row in
            let (id, status, created) = try row.decode((UUID, String, Date).self)
            return (id, TaskStatus(rawValue: status) ?? .queued, created)
        }
    }

    /// What the worker said it did, from the newest attempt that said anything.
    public func summary(taskID: UUID) async throws -> String? {
        try await client.query(
            """
            SELECT summary FROM task_attempts WHERE task_id = \(taskID) AND summary IS NOT NULL
            ORDER BY number DESC LIMIT 1
            """, logger: logger
        ).collect().first?.decode(String.self)
    }

    /// Records that `login` closed the task's pull request from the review page, and why. The first
    /// rejection stands.
    public func recordRejection(taskID: UUID, by login: String, reason: String?) async throws {
        try await client.query(
            """
            UPDATE tasks SET rejected_at = now(), rejected_by = \(login), rejection_reason = \(reason)
            WHERE id = \(taskID) AND rejected_at IS NULL
            """, logger: logger)
    }

    static func decode(_ row: PostgresRow) throws -> ReviewedPullRequest {
        let (id, installation, repositoryID, repository, issue, title, number, url, branch, agent) = try row.decode(
            (UUID, Int64, Int64, String, Int, String?, Int, String?, String?, String).self)
        let cells = Array(row)
        let model = try cells[10].decode(String?.self)
        let requester = try cells[11].decode(String.self)
        let state = try cells[12].decode(String.self)
        let opened = try cells[13].decode(Date.self)
        let rejectedBy = try cells[14].decode(String?.self)
        let requesterID = try cells[15].decode(Int64.self)
        return ReviewedPullRequest(
            taskID: id, installationID: installation, repositoryID: repositoryID, repository: repository,
            issueNumber: issue, issueTitle: title, number: number, url: url, branch: branch, agent: agent, model: model,
            requester: requester, requesterID: requesterID, state: state, openedAt: opened, rejectedBy: rejectedBy)
    }
}
