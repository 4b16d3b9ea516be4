import Foundation
import Logging
import PostgresNIO

/// A command someone ran, as their task stored it: enough to fill the dispatch form again.
public struct RecentCommand: Sendable, Equatable {
    public var taskID: UUID
    public var repository: String
    public var issueNumber: Int
    public var issueTitle: String?
    public var request: TaskRequest
    public var createdAt: Date

    /// Two commands are the same when they would fill the form the same way.
    var form: [String] {
        [
            repository, String(issueNumber), request.agent.rawValue, request.model ?? "", request.priority.rawValue,
            String(request.draft), request.baseBranch ?? "", request.instructions,
        ]
    }
}

/// A person's recent commands, read from the tasks they asked for (by comment or from the web app),
/// newest first; the task rows hold every option of the command, so nothing is stored twice.
public struct PostgresRecentCommandStore: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// At most `limit` commands of `userID`, newest first, each distinct command once (its newest run).
    /// Tasks of the script agent, which no person can ask for, are left out.
    public func recent(userID: Int64, limit: Int = 10) async throws -> [RecentCommand] {
        let rows = try await client.query(
            """
            SELECT \(unescaped: PostgresTaskRepository.columns), issue_title FROM tasks
            WHERE requester_id = \(userID) AND agent <> 'script'
            ORDER BY created_at DESC, id DESC
            LIMIT \(limit * 5)
            """, logger: logger
        ).collect()
        var seen: Set<[String]> = []
        var commands: [RecentCommand] = []
        for row in rows where commands.count < limit {
            let command = try Self.command(from: row)
            if seen.insert(command.form).inserted { commands.append(command) }
        }
        return commands
    }

    /// The command of the task `taskID` when `userID` asked for it; nil otherwise, so nobody reads
    /// another person's instructions through it.
    public func command(taskID: UUID, userID: Int64) async throws -> RecentCommand? {
        try await client.query(
            """
            SELECT \(unescaped: PostgresTaskRepository.columns), issue_title FROM tasks
            WHERE id = \(taskID) AND requester_id = \(userID) AND agent <> 'script'
            """, logger: logger
        ).collect().first.map(Self.command(from:))
    }

    static func command(from row: PostgresRow) throws -> RecentCommand {
        let task = try PostgresTaskRepository.task(from: row)
        return RecentCommand(
            taskID: task.id, repository: task.issue.repositoryFullName, issueNumber: task.issue.number,
            issueTitle: try row.makeRandomAccess()["issue_title"].decode(String?.self), request: task.request,
            createdAt: task.createdAt)
    }
}
