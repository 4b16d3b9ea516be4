import Foundation

/// The answer to `@porter status`: the latest task's state, agent, elapsed time, attempt, pull request
/// or reason, and its page.
struct StatusReply {
    var task: IssueTask
    var publicURL: URL
    var now = Date()

    var body: String {
        let task = task.task
        let elapsed = Duration.seconds((task.finishedAt ?? now).timeIntervalSince(task.createdAt))
        var lines = [
            "**Porter** · status of the latest task: \(headline)", "",
            """
            Agent `\(task.request.agent.rawValue)` · model `\(task.request.model ?? "default")` · \
            \(StatusComment.format(elapsed)) \(task.status.isTerminal ? "taken" : "elapsed") · \
            attempt \(max(self.task.attempts, 1)) · requested by @\(task.requester.login)
            """,
        ]
        if let number = self.task.pullRequestNumber {
            lines += ["", "Pull request: #\(number)"]
        } else if let reason = task.statusReason, !reason.isEmpty, task.status != .running {
            lines += ["", "Reason: \(PromptBuilder.sanitize(reason, limit: 500))"]
        }
        if self.task.cancelRequested, !task.status.isTerminal { lines += ["", "A stop was asked for."] }
        lines += ["", "[Task page](\(TaskNotice.taskURL(task.id, publicURL: publicURL).absoluteString))"]
        return lines.joined(separator: "\n")
    }

    var headline: String {
        switch task.task.status {
        case .queued: "⏳ queued"
        case .dispatching: "🚀 starting"
        case .running: "⚙️ running"
        case .succeeded: "✅ succeeded"
        case .failed: "❌ failed"
        case .timedOut: "⌛ timed out"
        case .cancelled: "🛑 cancelled"
        }
    }
}
