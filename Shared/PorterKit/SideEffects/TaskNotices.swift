import Foundation
import Logging
import PostgresNIO

/// A GitHub side effect to record with a state change: the effect, its dedupe key, and whether a
/// later one under the same key replaces it (the status comment and labels do).
public struct TaskNotice: Sendable, Equatable {
    public var effect: SideEffect
    public var dedupeKey: String
    public var replacing: Bool
    /// Not delivered before this time (the database's clock); nil for at once.
    public var notBefore: Date?

    public init(_ effect: SideEffect, dedupeKey: String, replacing: Bool = false, notBefore: Date? = nil) {
        self.effect = effect
        self.dedupeKey = dedupeKey
        self.replacing = replacing
        self.notBefore = notBefore
    }

    /// The task's status comment and its `porter:<status>` label, both following the latest phase. A
    /// follow-up's comment is on its pull request, which keeps the `porter` label it was opened with
    /// and takes no status labels: they belong to issues.
    public static func status(
        _ task: PorterTask, _ phase: StatusComment.Phase, publicURL: URL, now: Date = Date()
    ) -> [TaskNotice] {
        let comment = StatusComment(
            taskID: task.id, agent: task.request.agent, model: task.request.model, phase: phase,
            elapsed: .seconds(now.timeIntervalSince(task.createdAt)), taskURL: taskURL(task.id, publicURL: publicURL),
            onPullRequest: task.kind == .followUp)
        let repository = task.issue.repositoryFullName
        let key = "task:\(task.id.uuidString.lowercased())"
        let statusComment = TaskNotice(
            .statusComment(
                CommentRequest(repositoryFullName: repository, issueNumber: task.issue.number, body: comment.body)),
            dedupeKey: "\(key):status", replacing: true)
        guard task.kind == .issue else { return [statusComment] }
        return [
            statusComment,
            TaskNotice(
                .setLabels(
                    LabelChange(
                        repositoryFullName: repository, issueNumber: task.issue.number, add: [comment.label],
                        remove: StatusComment.allLabels.filter { $0 != comment.label })),
                dedupeKey: "\(key):labels", replacing: true),
        ]
    }

    /// 👀 on the comment that asked for the task.
    public static func acknowledgement(_ task: PorterTask) -> [TaskNotice] {
        guard
            let reaction = ReactionRequest.eyes(
                repositoryFullName: task.issue.repositoryFullName, commentID: task.triggerCommentID,
                kind: task.triggerCommentKind)
        else { return [] }
        return [TaskNotice(.addReaction(reaction), dedupeKey: "task:\(task.id.uuidString.lowercased()):eyes")]
    }

    /// A reply on the task's issue, posted once per `purpose`.
    public static func reply(_ task: PorterTask, purpose: String, body: String) -> TaskNotice {
        TaskNotice(
            .createComment(
                CommentRequest(
                    repositoryFullName: task.issue.repositoryFullName, issueNumber: task.issue.number, body: body)),
            dedupeKey: "task:\(task.id.uuidString.lowercased()):\(purpose)")
    }

    /// The task's page in the web UI.
    public static func taskURL(_ id: UUID, publicURL: URL) -> URL {
        publicURL.appendingPathComponent("tasks").appendingPathComponent(id.uuidString.lowercased())
    }
}

extension PostgresSideEffectQueue {
    /// Records `notices` for `task` inside the caller's transaction.
    static func enqueue(
        _ notices: [TaskNotice], for task: PorterTask, on connection: PostgresConnection, logger: Logger
    ) async throws {
        try await enqueue(
            notices, installationID: task.issue.installationID, taskID: task.id, on: connection, logger: logger)
    }

    /// Records `notices` for the task `taskID` of `installationID` inside the caller's transaction.
    static func enqueue(
        _ notices: [TaskNotice], installationID: Int64, taskID: UUID?, on connection: PostgresConnection,
        logger: Logger
    ) async throws {
        for notice in notices {
            try await enqueue(
                notice.effect, installationID: installationID, taskID: taskID, dedupeKey: notice.dedupeKey,
                replacing: notice.replacing, notBefore: notice.notBefore, on: connection, logger: logger)
        }
    }
}
