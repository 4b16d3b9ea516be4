import Foundation

/// The one status comment a task keeps on its issue, edited in place through the task's life.
public struct StatusComment: Sendable, Equatable {
    /// Where the task stands, as the comment says it.
    public enum Phase: Sendable, Equatable {
        case queued
        case waitingForUserSlot(active: Int, limit: Int)
        case waitingForIssue(blockedBy: UUID)
        case waitingForSignIn
        case starting
        case running
        /// Running, with the step the worker last reported and its latest line of output, if any
        /// (agent text: shown only through `AgentLine.inlineCode`).
        case working(phase: String, note: String? = nil)
        /// The worker's infrastructure failed; a new attempt is starting.
        case retrying(attempt: Int, of: Int, reason: String)
        case finished(TaskStatus, detail: String?)
    }

    public var taskID: UUID
    public var agent: Agent
    public var model: String?
    public var phase: Phase
    public var elapsed: Duration
    public var taskURL: URL
    /// A follow-up's comment lives on its pull request, and says so.
    public var onPullRequest: Bool

    public init(
        taskID: UUID, agent: Agent, model: String?, phase: Phase, elapsed: Duration, taskURL: URL,
        onPullRequest: Bool = false
    ) {
        self.taskID = taskID
        self.agent = agent
        self.model = model
        self.phase = phase
        self.elapsed = elapsed
        self.taskURL = taskURL
        self.onPullRequest = onPullRequest
    }

    /// The comment's Markdown.
    public var body: String {
        var lines = ["**Porter** · \(headline)", ""]
        lines.append("Agent `\(agent.rawValue)` · model `\(model ?? "default")` · \(Self.format(elapsed)) elapsed")
        if let detail { lines += ["", detail] }
        lines += ["", "[Task page](\(taskURL.absoluteString))"]
        return lines.joined(separator: "\n")
    }

    var headline: String {
        switch phase {
        case .queued: "⏳ queued"
        case .waitingForUserSlot, .waitingForIssue, .waitingForSignIn: "⏸️ waiting"
        case .starting: "🚀 starting"
        case .retrying: "🔁 retrying"
        case .running, .working: "⚙️ running"
        case .finished(.succeeded, _): "✅ succeeded"
        case .finished(.timedOut, _): "⌛ timed out"
        case .finished(.cancelled, _): "🛑 cancelled"
        case .finished: "❌ failed"
        }
    }

    var detail: String? {
        switch phase {
        case .waitingForUserSlot(let active, let limit):
            "Waiting for a slot: the requester already has \(active) of \(limit) tasks running."
        case .waitingForIssue(let blocker):
            "Waiting for task `\(blocker.uuidString.lowercased())` on this \(onPullRequest ? "pull request" : "issue") to finish."
        case .waitingForSignIn:
            "Waiting for the requester to sign in to Porter and add their keys."
        case .working(let phase, let note):
            ["Now: \(phase).", note.flatMap { AgentLine.inlineCode($0) }.map { "Latest: \($0)" }].compactMap(\.self)
                .joined(separator: "\n\n")
        case .retrying(let attempt, let total, let reason):
            "The worker failed for a reason outside the agent (\(reason)); starting attempt \(attempt) of \(total)."
        case .finished(_, let detail): detail
        case .queued, .starting, .running: nil
        }
    }

    /// `42s`, `3m 05s`, `1h 02m`.
    static func format(_ duration: Duration) -> String {
        let seconds = max(0, Int(duration.components.seconds))
        if seconds < 60 { return "\(seconds)s" }
        if seconds < 3600 { return "\(seconds / 60)m \(String(format: "%02d", seconds % 60))s" }
        return "\(seconds / 3600)h \(String(format: "%02d", seconds % 3600 / 60))m"
    }

    /// Every `porter:<status>` label; a task's issue carries the one for its current phase.
    public static let allLabels = [
        "porter:queued", "porter:running", "porter:succeeded", "porter:failed", "porter:timed-out",
        "porter:cancelled",
    ]

    /// The label for the current phase.
    public var label: String {
        switch phase {
        case .queued, .waitingForUserSlot, .waitingForIssue, .waitingForSignIn: "porter:queued"
        case .starting, .running, .working, .retrying: "porter:running"
        case .finished(.succeeded, _): "porter:succeeded"
        case .finished(.timedOut, _): "porter:timed-out"
        case .finished(.cancelled, _): "porter:cancelled"
        case .finished: "porter:failed"
        }
    }
}
