import Foundation

extension Finalizer {
    /// Where a follow-up's worker left its commits.
    enum FollowUpWork: Equatable {
        /// On the pull request's branch, at this commit.
        case head(sha: String)
        /// On a side branch: the branch moved and the commits conflict, the agent ran out of time, or it
        /// rewrote the branch's history.
        case side(branch: String, sha: String)
        case none
    }

    /// At most this many conflicting files are named in a comment.
    static let namedConflicts = 20

    /// A follow-up's verdict. Its pull request exists: a push to its branch is the result, and nothing
    /// is opened. Work that could not go there is linked on its side branch.
    func followUpVerdict(
        task: PorterTask, attempt: Int, report: CompletionReport, spec: TaskSpec?, now: Date
    ) -> Finalization {
        let work = Self.followUpWork(report, spec: spec, attempt: attempt)
        let head = spec?.branch ?? report.branch ?? "the pull request's branch"
        switch (report.outcome, work) {
        case (.succeeded, .head(let sha)):
            return pushed(task, attempt: attempt, report: report, head: head, sha: sha, now: now)
        case (.failed, _) where !report.conflictFiles.isEmpty:
            var paragraphs = [
                "Someone pushed to \(Self.code(head)) while the agent worked, and its changes conflict in: "
                    + Self.named(report.conflictFiles) + "."
            ]
            if case .side(let branch, _) = work {
                paragraphs.append("The agent's work is on \(sideLink(task, branch)).")
            }
            paragraphs.append(Self.retryHint)
            return ended(
                task, .failed,
                reason: "the branch moved while the agent worked; its changes conflict in "
                    + (report.conflictFiles.count == 1 ? "1 file" : "\(report.conflictFiles.count) files"),
                paragraphs: paragraphs,
                attempt: attempt, report: report, now: now)
        case (.timedOut, .side(let branch, _)):
            return ended(
                task, .timedOut, reason: "the agent ran out of time; partial work is on \(branch)",
                paragraphs: [
                    "The agent ran out of time. Its partial work is on \(sideLink(task, branch)); nothing was pushed "
                        + "to \(Self.code(head)).", Self.retryHint,
                ],
                attempt: attempt, report: report, now: now)
        case (.timedOut, .head(let sha)):
            return ended(
                task, .timedOut, reason: "the agent ran out of time; pushed \(sha.prefix(12))",
                paragraphs: [
                    "The agent ran out of time after \(Self.code(String(sha.prefix(7)))) was pushed to "
                        + "\(Self.code(head)).", Self.retryHint,
                ],
                attempt: attempt, report: report, now: now)
        case (.timedOut, .none):
            return timedOutWithoutWork(task, attempt: attempt, report: report, now: now)
        case (.noChanges, _):
            return noChanges(
                task, attempt: attempt, report: report,
                summary: report.summary.map { UntrustedMarkdown.neutralised($0, limit: 6_000) },
                now: now)
        case (.failed, _) where report.infrastructure && attempt <= infraRetries:
            return retrying(task, attempt: attempt, report: report, now: now)
        case (.failed, _), (.succeeded, _):
            guard case .side(let branch, _) = work else {
                return failure(task, attempt: attempt, report: report, now: now)
            }
            return failure(
                task, attempt: attempt, report: report,
                reason: report.outcome == .succeeded
                    ? "the agent's work went to \(branch), not to the pull request's branch" : nil,
                more: ["The agent's work is on \(sideLink(task, branch))."], now: now)
        }
    }

    /// Succeeded: the commits are on the pull request's branch. The final comment says which, and the
    /// pull request's description gains the follow-up's line.
    func pushed(
        _ task: PorterTask, attempt: Int, report: CompletionReport, head: String, sha: String, now: Date
    ) -> Finalization {
        var sentence = "Pushed \(Self.code(String(sha.prefix(7)))) to \(Self.code(head))"
        if let onto = report.rebasedOnto {
            sentence += ", rebased onto \(Self.code(String(onto.prefix(7)))) after new commits arrived"
        }
        var paragraphs = [sentence + "."]
        if let summary = report.summary { paragraphs.append(UntrustedMarkdown.neutralised(summary, limit: 6_000)) }
        let comment = final(task, .succeeded, now: now, paragraphs: paragraphs)
        let log = TaskNotice(
            .appendFollowUpLog(logEntry(task, sha: sha, now: now)),
            dedupeKey: "task:\(task.id.uuidString.lowercased()):follow_up_log")
        return Finalization(
            status: .succeeded, reason: "the agent pushed \(sha.prefix(12)) to \(head)",
            notices: [comment.notice(installationID: task.issue.installationID), log],
            reply: reply(task, attempt, report, .succeeded))
    }

    /// A follow-up ended as `status` with only its final status comment to post.
    func ended(
        _ task: PorterTask, _ status: TaskStatus, reason: String, paragraphs: [String], attempt: Int,
        report: CompletionReport, now: Date
    ) -> Finalization {
        let comment = final(task, status, now: now, paragraphs: paragraphs)
        return Finalization(
            status: status, reason: reason, notices: [comment.notice(installationID: task.issue.installationID)],
            reply: reply(task, attempt, report, status))
    }

    /// `- 2026-11-29 · @alice · `claude` · `the request` · `abc1234` · [task](…) <!-- marker -->`: the request
    /// only as a short code span, so nothing in it links, mentions or closes anything.
    func logEntry(_ task: PorterTask, sha: String, now: Date) -> FollowUpLogEntry {
        let day = now.formatted(Date.ISO8601FormatStyle(timeZone: .gmt).year().month().day())
        let fields = [
            day, "@\(task.requester.login)", Self.code(task.request.agent.rawValue),
            AgentLine.inlineCode(task.request.instructions, limit: 80), Self.code(String(sha.prefix(7))),
            "[task](\(TaskNotice.taskURL(task.id, publicURL: publicURL).absoluteString))",
        ].compactMap(\.self)
        return FollowUpLogEntry(
            repositoryFullName: task.issue.repositoryFullName, pullNumber: task.issue.number, taskID: task.id,
            line: "- " + fields.joined(separator: " · ") + " " + FollowUpLog.marker(task.id))
    }

    /// Where the report says the work went. A side branch is taken from `side_branch`, or from `branch`
    /// when it names the spec's side branch; anything else on `branch` is the pull request's branch.
    static func followUpWork(_ report: CompletionReport, spec: TaskSpec?, attempt: Int) -> FollowUpWork {
        guard let sha = report.headSHA else { return .none }
        if let side = report.sideBranch { return .side(branch: side, sha: sha) }
        guard let branch = report.branch else { return .none }
        if let spec, spec.acceptedSideBranches(attempt: attempt).contains(branch) {
            return .side(branch: branch, sha: sha)
        }
        return .head(sha: sha)
    }

    /// `[`branch`](https://github.com/o/r/tree/branch)`.
    func sideLink(_ task: PorterTask, _ branch: String) -> String {
        let base =
            webURL.absoluteString.hasSuffix("/") ? String(webURL.absoluteString.dropLast()) : webURL.absoluteString
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "()")
        let path = branch.addingPercentEncoding(withAllowedCharacters: allowed) ?? branch
        return "[\(Self.code(branch))](\(base)/\(task.issue.repositoryFullName)/tree/\(path))"
    }

    /// Paths as code spans, at most `namedConflicts` of them, then how many more.
    static func named(_ files: [String]) -> String {
        var names = files.prefix(namedConflicts).map { code($0) }
        if files.count > namedConflicts { names.append("and \(files.count - namedConflicts) more") }
        return names.joined(separator: ", ")
    }

    /// A branch, path or commit as one code span: whatever characters git allowed in it, it renders as
    /// text and acts on nothing.
    static func code(_ text: String) -> String {
        AgentLine.inlineCode(text, limit: 300) ?? "``"
    }
}

extension TaskSpec {
    /// The side branches a follow-up's worker may report for `attempt`: the one the spec names, or that
    /// name with `-<attempt>` when it existed already. The name planned from the head and sequence is
    /// accepted beside the stored one, which a recorded report may have changed.
    public func acceptedSideBranches(attempt: Int) -> Set<String> {
        guard let followUp else { return [] }
        let planned = FollowUp.sideBranch(head: branch, sequence: followUp.sequence)
        return Set([followUp.sideBranch, planned].flatMap { [$0, "\($0)-\(attempt)"] })
    }
}
