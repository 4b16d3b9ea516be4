import Foundation

/// The pull request a finished task opened.
public struct OpenedPullRequest: Codable, Sendable, Equatable {
    public var number: Int
    public var url: String
    public var draft: Bool
    /// Where it stood when Porter recorded it: a pull request an earlier try opened, whose answer was
    /// lost, may have been closed or merged before it was found. Nil is open.
    public var state: PullRequestState?
    public var closedAt: Date?
    public var mergedAt: Date?

    public init(
        number: Int, url: String, draft: Bool, state: PullRequestState? = nil, closedAt: Date? = nil,
        mergedAt: Date? = nil
    ) {
        self.number = number
        self.url = url
        self.draft = draft
        self.state = state
        self.closedAt = closedAt
        self.mergedAt = mergedAt
    }
}

/// The status comment's final form. Kept as data rather than text so that, where a pull request is
/// still to be opened, the comment can be written once the PR's number is known.
public struct FinalComment: Codable, Sendable, Equatable {
    public var taskID: UUID
    public var repositoryFullName: String
    public var issueNumber: Int
    public var agent: Agent
    public var model: String?
    public var status: TaskStatus
    public var elapsedSeconds: Int
    public var taskURL: URL
    /// Paragraphs after the pull request line, already redacted.
    public var paragraphs: [String]

    /// The Markdown, with the pull request when one was opened, or why none could be.
    public func body(pullRequest: OpenedPullRequest? = nil, pullRequestProblem: String? = nil) -> String {
        var lines: [String] = []
        if let pullRequest {
            lines.append(
                "\(pullRequest.draft ? "Draft pull request" : "Pull request"): #\(pullRequest.number) (\(pullRequest.url))"
            )
        } else if let pullRequestProblem {
            lines.append("The branch was pushed, but the pull request could not be opened: \(pullRequestProblem)")
        }
        let detail = (lines + paragraphs).joined(separator: "\n\n")
        return StatusComment(
            taskID: taskID, agent: agent, model: model, phase: .finished(status, detail: detail.isEmpty ? nil : detail),
            elapsed: .seconds(elapsedSeconds), taskURL: taskURL
        ).body
    }

    /// The comment as a replaceable notice under the task's status key.
    public func notice(
        installationID: Int64, pullRequest: OpenedPullRequest? = nil, pullRequestProblem: String? = nil
    ) -> TaskNotice {
        TaskNotice(
            .statusComment(
                CommentRequest(
                    repositoryFullName: repositoryFullName, issueNumber: issueNumber,
                    body: body(pullRequest: pullRequest, pullRequestProblem: pullRequestProblem))),
            dedupeKey: "task:\(taskID.uuidString.lowercased()):status", replacing: true)
    }
}

/// A pull request to open for a finished task, and the status comment to write once it is open.
public struct PullRequestOrder: Codable, Sendable, Equatable {
    public var taskID: UUID
    public var repositoryFullName: String
    public var pull: NewPullRequest
    public var labels: [String]
    public var finalComment: FinalComment
    /// The commit the worker reported pushing: the pull request is opened only while the branch is
    /// there. Nil in orders stored before it was kept.
    public var headSHA: String?

    public init(
        taskID: UUID, repositoryFullName: String, pull: NewPullRequest, labels: [String], finalComment: FinalComment,
        headSHA: String? = nil
    ) {
        self.taskID = taskID
        self.repositoryFullName = repositoryFullName
        self.pull = pull
        self.labels = labels
        self.finalComment = finalComment
        self.headSHA = headSHA
    }
}
