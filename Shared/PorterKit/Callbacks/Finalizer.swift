import Foundation

/// What a completion does to its task, decided from the task as it stands under lock.
public struct Finalization: Sendable {
    /// The status to move to; nil when the task had already ended and only the report is recorded.
    public var status: TaskStatus?
    public var reason: String
    /// GitHub side effects recorded with the change.
    public var notices: [TaskNotice]
    /// The one answer every copy of this report gets.
    public var reply: CompletionReply
    /// The agent's summary, redacted, as the attempt keeps it.
    public var summary: String? = nil
    /// Whether the report's branch and head are recorded on the task (not for a superseded attempt).
    public var recordsBranch = true
    /// The worker's infrastructure failed: the task goes back to dispatching for a new attempt.
    public var retry = false
}

/// The answer to `POST /callbacks/complete`.
public struct CompletionReply: Codable, Sendable, Equatable {
    public var accepted: Bool
    public var taskID: UUID
    public var attempt: Int
    /// What the worker reported.
    public var status: WorkerOutcome
    /// Where the task ended: for a task already cancelled or timed out, that, not the report.
    public var taskStatus: TaskStatus
    /// True when a pull request will be opened from the branch.
    public var pullRequest: Bool
}

/// Decides how a worker's report finalizes its task: the terminal status, the final status comment,
/// and the pull request to open (for a follow-up, the line added to its pull request's description).
/// Pure, so the decision can be tested and replayed.
public struct Finalizer: Sendable {
    public var publicURL: URL
    /// GitHub's web address (`GITHUB_URL`): links to branches in comments.
    public var webURL: URL
    public var redactor: Redactor
    /// How many new attempts a task gets after infrastructure failures (`PORTER_INFRA_RETRIES`).
    public var infraRetries: Int

    public init(publicURL: URL, webURL: URL, redactor: Redactor, infraRetries: Int = 2) {
        self.publicURL = publicURL
        self.webURL = webURL
        self.redactor = redactor
        self.infraRetries = infraRetries
    }

    static let retryHint = "Comment `@porter retry` to try again."

    public func decide(
        _ context: CompletionContext, attempt: Int, report: CompletionReport, spec: TaskSpec?, now: Date = Date()
    ) -> Finalization {
        let report = redacted(report)
        let task = context.task
        var finalization: Finalization
        if context.superseded {
            finalization = Finalization(
                status: nil, reason: "\(report.outcome.rawValue) reported by attempt \(attempt), superseded",
                notices: [], reply: reply(task, attempt, report, task.status), recordsBranch: false)
        } else if context.cancelRequested, !task.status.isTerminal {
            finalization = cancelled(task, attempt: attempt, report: report, now: now)
        } else {
            finalization = verdict(task: task, attempt: attempt, report: report, spec: spec, now: now)
        }
        finalization.summary = report.summary.map { Self.capped($0, 20_000) }
        return finalization
    }

    func reply(
        _ task: PorterTask, _ attempt: Int, _ report: CompletionReport, _ status: TaskStatus, pullRequest: Bool = false
    ) -> CompletionReply {
        CompletionReply(
            accepted: true, taskID: task.id, attempt: attempt, status: report.outcome, taskStatus: status,
            pullRequest: pullRequest)
    }

    /// A stop was asked for while the worker ran: the task ends cancelled, whatever the worker says;
    /// pushed work stays on its branch, and no pull request is opened.
    func cancelled(_ task: PorterTask, attempt: Int, report: CompletionReport, now: Date) -> Finalization {
        var paragraphs = [CancelProcessor.sentence(task.statusReason ?? "stopped on request")]
        if let branch = report.branch, report.headSHA != nil {
            paragraphs.append("The agent's work so far is on the branch `\(branch)`.")
        }
        let comment = final(task, .cancelled, now: now, paragraphs: paragraphs)
        return Finalization(
            status: .cancelled, reason: task.statusReason ?? "stopped on request",
            notices: label(task, "porter:cancelled") + [comment.notice(installationID: task.issue.installationID)],
            reply: reply(task, attempt, report, .cancelled))
    }

    func verdict(
        task: PorterTask, attempt: Int, report: CompletionReport, spec: TaskSpec?, now: Date
    ) -> Finalization {
        // A late report never resurrects a task that was cancelled or timed out: its branch is kept.
        guard !task.status.isTerminal else {
            return Finalization(
                status: nil, reason: "\(report.outcome.rawValue) reported after the task ended \(task.status.rawValue)",
                notices: [], reply: reply(task, attempt, report, task.status))
        }
        // A follow-up adds to its pull request: it never opens one, whatever its worker pushed.
        if task.kind == .followUp {
            return followUpVerdict(task: task, attempt: attempt, report: report, spec: spec, now: now)
        }
        let pushed = report.branch != nil && report.headSHA != nil
        let summary = report.summary.map { UntrustedMarkdown.neutralised($0, limit: 6_000) }
        switch report.outcome {
        case .succeeded where pushed:
            let comment = final(task, .succeeded, now: now, paragraphs: summary.map { [$0] } ?? [])
            return Finalization(
                status: .succeeded, reason: "the agent pushed \(report.headSHA!.prefix(12))",
                notices: label(task, "porter:succeeded") + [pullRequest(task, report, spec, comment, timedOut: false)],
                reply: reply(task, attempt, report, .succeeded, pullRequest: true))
        case .timedOut where pushed:
            let comment = final(
                task, .timedOut, now: now,
                paragraphs: [
                    "The agent ran out of time; its partial work is in the draft pull request.", Self.retryHint,
                ])
            return Finalization(
                status: .timedOut, reason: "the agent ran out of time; partial work pushed",
                notices: label(task, "porter:timed-out") + [pullRequest(task, report, spec, comment, timedOut: true)],
                reply: reply(task, attempt, report, .timedOut, pullRequest: true))
        case .timedOut:
            return timedOutWithoutWork(task, attempt: attempt, report: report, now: now)
        case .noChanges:
            return noChanges(task, attempt: attempt, report: report, summary: summary, now: now)
        case .failed where report.infrastructure && attempt <= infraRetries:
            return retrying(task, attempt: attempt, report: report, now: now)
        case .failed, .succeeded:
            return failure(task, attempt: attempt, report: report, now: now)
        }
    }

    func timedOutWithoutWork(
        _ task: PorterTask, attempt: Int, report: CompletionReport, now: Date
    ) -> Finalization {
        let comment = final(
            task, .timedOut, now: now,
            paragraphs: ["The agent ran out of time before changing anything.", Self.retryHint])
        return Finalization(
            status: .timedOut, reason: "the agent ran out of time without changes",
            notices: label(task, "porter:timed-out") + [comment.notice(installationID: task.issue.installationID)],
            reply: reply(task, attempt, report, .timedOut))
    }

    func noChanges(
        _ task: PorterTask, attempt: Int, report: CompletionReport, summary: String?, now: Date
    ) -> Finalization {
        var paragraphs = ["The agent finished without changing anything."]
        if let summary { paragraphs.append(Self.quote(summary)) }
        paragraphs.append(Self.retryHint)
        let comment = final(task, .failed, now: now, paragraphs: paragraphs)
        return Finalization(
            status: .failed, reason: "the agent made no changes",
            notices: label(task, "porter:failed") + [comment.notice(installationID: task.issue.installationID)],
            reply: reply(task, attempt, report, .failed))
    }

    /// Clone, push or spec failures are not the agent's: the task gets a new worker, and keeps its
    /// status comment. Agent failures are never retried by themselves.
    func retrying(_ task: PorterTask, attempt: Int, report: CompletionReport, now: Date) -> Finalization {
        let reason = UntrustedMarkdown.neutralised(report.error ?? "the worker's infrastructure failed", limit: 500)
        let notices = TaskNotice.status(
            task, .retrying(attempt: attempt + 1, of: infraRetries + 1, reason: reason), publicURL: publicURL, now: now)
        var finalization = Finalization(
            status: .dispatching, reason: "attempt \(attempt) failed: \(reason); retrying", notices: notices,
            reply: reply(task, attempt, report, .dispatching), recordsBranch: true)
        finalization.retry = true
        return finalization
    }

    /// The task failed: the reason, the log's last lines, then `more` (where the work went).
    func failure(
        _ task: PorterTask, attempt: Int, report: CompletionReport, reason: String? = nil, more: [String] = [],
        now: Date
    ) -> Finalization {
        let reason =
            reason
            ?? (report.outcome == .succeeded
                ? "the worker reported success without a pushed branch" : (report.error ?? "the agent failed"))
        var paragraphs = ["The task failed: \(UntrustedMarkdown.neutralised(reason, limit: 1_000))"]
        if let tail = report.logTail, !tail.isEmpty {
            let lines = tail.split(separator: "\n", omittingEmptySubsequences: false).suffix(15)
            paragraphs.append(
                "The last lines of the log:\n\n"
                    + UntrustedMarkdown.fenced(lines.joined(separator: "\n"), limit: 3_000))
        }
        paragraphs += more
        paragraphs.append(Self.retryHint)
        let comment = final(task, .failed, now: now, paragraphs: paragraphs)
        return Finalization(
            status: .failed, reason: Self.capped(reason, 500),
            notices: label(task, "porter:failed") + [comment.notice(installationID: task.issue.installationID)],
            reply: reply(task, attempt, report, .failed))
    }

    /// The report with every free-text field redacted.
    func redacted(_ report: CompletionReport) -> CompletionReport {
        var report = report
        report.summary = report.summary.map(redactor.redact)
        report.logTail = report.logTail.map(redactor.redact)
        report.error = report.error.map(redactor.redact)
        return report
    }

    func final(_ task: PorterTask, _ status: TaskStatus, now: Date, paragraphs: [String]) -> FinalComment {
        FinalComment(
            taskID: task.id, repositoryFullName: task.issue.repositoryFullName, issueNumber: task.issue.number,
            agent: task.request.agent, model: task.request.model, status: status,
            elapsedSeconds: max(0, Int(now.timeIntervalSince(task.createdAt))),
            taskURL: TaskNotice.taskURL(task.id, publicURL: publicURL), paragraphs: paragraphs)
    }

    /// The issue's `porter:<status>` label; none for a follow-up, whose pull request takes no status labels.
    func label(_ task: PorterTask, _ label: String) -> [TaskNotice] {
        guard task.kind == .issue else { return [] }
        return [
            TaskNotice(
                .setLabels(
                    LabelChange(
                        repositoryFullName: task.issue.repositoryFullName, issueNumber: task.issue.number,
                        add: [label], remove: StatusComment.allLabels.filter { $0 != label })),
                dedupeKey: "task:\(task.id.uuidString.lowercased()):labels", replacing: true)
        ]
    }

    /// The pull request to open: from the task's own branch (the spec's, whatever the report names),
    /// at the commit the worker reported, which the deliverer checks is that branch's tip.
    func pullRequest(
        _ task: PorterTask, _ report: CompletionReport, _ spec: TaskSpec?, _ comment: FinalComment, timedOut: Bool
    ) -> TaskNotice {
        let issue = task.issue.number
        let title = (spec?.issueTitle).flatMap { $0.isEmpty ? nil : $0 } ?? "Resolve #\(issue)"
        var body: [String] = [
            // A timed-out draft refers to the issue without closing it when merged.
            timedOut
                ? "Refs #\(issue). ⌛ The agent ran out of time: this draft holds its partial work." : "Fixes #\(issue)"
        ]
        if let summary = report.summary, !summary.isEmpty {
            body.append(UntrustedMarkdown.neutralised(summary, limit: 20_000))
        }
        body.append(
            "---\nAgent `\(task.request.agent.rawValue)` · model `\(task.request.model ?? "default")` · "
                + "requested by @\(task.requester.login) · [Task page](\(TaskNotice.taskURL(task.id, publicURL: publicURL).absoluteString))"
        )
        let order = PullRequestOrder(
            taskID: task.id, repositoryFullName: task.issue.repositoryFullName,
            pull: NewPullRequest(
                title: String(PromptBuilder.sanitize(title, limit: 240)), head: spec?.branch ?? report.branch!,
                base: spec?.baseBranch ?? task.request.baseBranch ?? "main", body: body.joined(separator: "\n\n"),
                draft: timedOut || task.request.draft),
            labels: timedOut ? ["porter", "porter:timed-out"] : ["porter"], finalComment: comment,
            headSHA: report.headSHA)
        return TaskNotice(.openPullRequest(order), dedupeKey: "task:\(task.id.uuidString.lowercased()):pull_request")
    }

    static func capped(_ text: String, _ limit: Int) -> String {
        text.count <= limit ? text : "[…]\n" + String(text.suffix(limit))
    }

    static func quote(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { "> \($0)" }.joined(separator: "\n")
    }
}
