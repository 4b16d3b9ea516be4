import Foundation
import Logging

/// Carries out `@porter stop | retry | status` (`control` jobs). The commenter needs what starting a
/// task needs: write, maintain or admin on the repository, checked with GitHub and failing closed.
/// The verbs act on the issue's tasks, or, on a pull request Porter opened, on the task it came from.
public struct ControlProcessor: Sendable {
    let repository: any ControlRepository
    let github: GitHubClient
    let publicURL: URL
    let budget: FailureBudget
    /// A second `status` within this window edits the first reply instead of posting another.
    let statusWindow: Duration
    let logger: Logger

    public init(
        repository: any ControlRepository, github: GitHubClient, publicURL: URL,
        budget: FailureBudget = FailureBudget(),
        statusWindow: Duration = .seconds(60), logger: Logger
    ) {
        self.repository = repository
        self.github = github
        self.publicURL = publicURL
        self.budget = budget
        self.statusWindow = statusWindow
        self.logger = logger
    }

    public func process(_ job: ClaimedJob) async -> JobOutcome {
        guard let request = try? JSONDecoder().decode(ControlRequest.self, from: Data(job.payload.utf8)) else {
            logger.error("malformed control job dropped", metadata: ["job_id": "\(job.id)"])
            return .done
        }
        let context = request.context
        var logger = logger
        logger[metadataKey: "verb"] = "\(request.verb.rawValue)"
        logger[metadataKey: "repository"] = "\(context.issue.repositoryFullName)"
        logger[metadataKey: "issue"] = "\(context.issue.number)"
        // Replies and reactions are posted once per delivery, however often this job runs.
        let key = "control:\(request.deliveryID ?? "job-\(job.id)")"
        var authorized = false
        do {
            guard try await authorize(request, key: key, logger: logger) else { return .done }
            authorized = true
            switch request.verb {
            case .stop: try await stop(request, key: key, logger: logger)
            case .retry: try await retry(request, key: key, logger: logger)
            case .status: try await status(request, key: key)
            case .help: try await reply(request, key: key, Replies.help(mention: "porter"))
            }
            return .done
        } catch {
            if Failure.isPermanent(error) || budget.isExhausted(job, now: Date()) {
                logger.error("control verb failed for good", metadata: ["error": "\(String(reflecting: error))"])
                let body =
                    "@\(context.requester.login) Porter could not carry out `\(request.verb.rawValue)`: \(Failure.explain(error))."
                // Until GitHub has said the commenter may write, they are answered as an outsider.
                if authorized {
                    try? await reply(request, key: key, body)
                } else {
                    try? await refuse(request, key: key, body)
                }
                return .done
            }
            logger.warning("control verb failed; will retry", metadata: ["error": "\(String(reflecting: error))"])
            return .failed(budget.delay(job), reason: "\(error)")
        }
    }

    /// True when the commenter may use control verbs; otherwise says why on the issue, within the
    /// issue's one reply of the day to people without write access. A GitHub error is thrown, so the
    /// job is tried again and nothing is done meanwhile.
    func authorize(_ request: ControlRequest, key: String, logger: Logger) async throws -> Bool {
        let context = request.context
        guard let (owner, repo) = IssueReference.ownerAndName(context.issue.repositoryFullName) else {
            throw WorkerTargetProblem("repository name \(context.issue.repositoryFullName) is malformed")
        }
        let permission: GitHubPermission
        do {
            permission = try await github.collaboratorPermission(
                installationID: Int(context.issue.installationID), owner: owner, repo: repo,
                user: context.requester.login)
        } catch let error where Failure.isPermanent(error) {
            logger.notice("permission check refused", metadata: ["error": "\(String(reflecting: error))"])
            try await refuse(
                request, key: key,
                "@\(context.requester.login) Porter could not confirm that you may write to this repository.")
            return false
        } catch {
            throw StepFailure("the permission check", error)
        }
        guard permission.canWrite else {
            logger.notice("commenter may not use control verbs", metadata: ["permission": "\(permission.rawValue)"])
            try await refuse(
                request, key: key,
                """
                @\(context.requester.login) Porter takes `\(request.verb.rawValue)` only from people with write, \
                maintain or admin permission on this repository; you have \(permission.rawValue).
                """)
            return false
        }
        return true
    }

    func stop(_ request: ControlRequest, key: String, logger: Logger) async throws {
        let context = request.context
        let unfinished = try await repository.issueTasks(
            repositoryID: context.issue.repositoryID, number: context.issue.number
        ).filter { !$0.task.status.isTerminal }
        guard !unfinished.isEmpty else {
            try await reply(
                request, key: key, "@\(context.requester.login) There is no unfinished Porter task here to stop.")
            return
        }
        let outcome = try await repository.stop(
            unfinished.map(\.task.id), reason: "stopped by @\(context.requester.login)",
            installationID: context.issue.installationID, notices: acknowledgement(request, key: key))
        logger.info(
            "stop requested",
            metadata: ["cancelled": "\(outcome.cancelled.count)", "stopping": "\(outcome.stopping.count)"])
    }

    func retry(_ request: ControlRequest, key: String, logger: Logger) async throws {
        let context = request.context
        let tasks = try await repository.issueTasks(
            repositoryID: context.issue.repositoryID, number: context.issue.number
        )
        .map(\.task)
        guard let latest = tasks.first else {
            try await reply(request, key: key, "@\(context.requester.login) There is no Porter task here to retry yet.")
            return
        }
        // A merged or closed pull request takes no more work: a retry would push to a branch nobody
        // reviews, or open a second pull request for the same issue. The reply says how to start again.
        if context.issue.isPullRequest, let refusal = try await finishedPullRequest(context) {
            let issue = tasks.first { $0.kind == .issue && $0.issue.number != context.issue.number }?.issue.number
            try await reply(
                request, key: key,
                "@\(context.requester.login) \(refusal.reply(pull: context.issue.number, issue: issue))")
            return
        }
        let acknowledgement = acknowledgement(request, key: key)
        // The new task's 👀 goes through the issue comments' endpoint: only an issue comment may trigger it.
        let onIssueComment = (context.commentKind ?? .issueComment) == .issueComment
        let result = try await repository.retry(
            latest, requester: context.requester, commentID: onIssueComment ? context.commentID : nil,
            deliveryID: request.deliveryID ?? key, notices: { _ in acknowledgement })
        switch result {
        case .created(let id):
            logger.info(
                "retry created",
                metadata: [
                    "task_id": "\(id.uuidString.lowercased())", "retry_of": "\(latest.id.uuidString.lowercased())",
                ])
            if latest.issue.number != context.issue.number {
                // Asked on the pull request: the new task reports on the issue it came from.
                try await reply(
                    request, key: key,
                    "@\(context.requester.login) Retrying as a new task on #\(latest.issue.number): \(TaskNotice.taskURL(id, publicURL: publicURL).absoluteString)"
                )
            }
        case .stillActive(let id, let status):
            try await reply(
                request, key: key,
                """
                @\(context.requester.login) The latest task here is still \(status.rawValue) \
                ([task page](\(TaskNotice.taskURL(id, publicURL: publicURL).absoluteString))). \
                Comment `@porter stop` to stop it, or retry once it has finished.
                """)
        }
    }

    /// `.merged` or `.closed` for a pull request that is, nil for an open one or one GitHub does not
    /// know as a pull request. Any other error is thrown, so the retry waits rather than guesses.
    func finishedPullRequest(_ context: IssueContext) async throws -> FollowUpTarget.Refusal? {
        guard let (owner, repo) = IssueReference.ownerAndName(context.issue.repositoryFullName) else { return nil }
        let pull: GitHubPullRequest
        do {
            pull = try await github.pullRequest(
                installationID: Int(context.issue.installationID), owner: owner, repo: repo,
                number: context.issue.number)
        } catch let error as APIError where error.statusCode == 404 {
            return nil
        } catch {
            throw StepFailure("reading the pull request", error)
        }
        return FollowUpTarget.finished(pull)
    }

    func status(_ request: ControlRequest, key: String) async throws {
        let context = request.context
        let tasks = try await repository.issueTasks(
            repositoryID: context.issue.repositoryID, number: context.issue.number)
        let body =
            tasks.first.map { StatusReply(task: $0, publicURL: publicURL).body }
            ?? "**Porter** · No Porter task has run here yet. Comment `@porter <agent> <instructions>` to start one."
        let prefix = Self.statusReplyPrefix(repositoryID: context.issue.repositoryID, number: context.issue.number)
        let dedupeKey =
            try await repository.recentStatusReply(
                repositoryID: context.issue.repositoryID, number: context.issue.number, window: statusWindow)
            ?? "\(prefix)\(key)"
        try await repository.notify(
            installationID: context.issue.installationID, taskID: nil,
            notices: acknowledgement(request, key: key) + [
                TaskNotice(
                    .statusComment(
                        CommentRequest(
                            repositoryFullName: context.issue.repositoryFullName, issueNumber: context.issue.number,
                            body: body)), dedupeKey: dedupeKey, replacing: true)
            ])
    }

    /// The dedupe keys of an issue's status replies begin with this.
    static func statusReplyPrefix(repositoryID: Int64, number: Int) -> String {
        "issue:\(repositoryID):\(number):status-reply:"
    }

    /// 👀 on the command.
    func acknowledgement(_ request: ControlRequest, key: String) -> [TaskNotice] {
        guard
            let reaction = ReactionRequest.eyes(
                repositoryFullName: request.context.issue.repositoryFullName, commentID: request.context.commentID,
                kind: request.context.commentKind)
        else { return [] }
        return [TaskNotice(.addReaction(reaction), dedupeKey: "\(key):eyes")]
    }

    /// Answers a commenter GitHub has not confirmed may write: at most the issue's one reply of the day
    /// to such commenters, and no 👀. `help` (which the gateway answers itself) gets nothing here.
    func refuse(_ request: ControlRequest, key: String, _ body: String) async throws {
        guard request.verb != .help else { return }
        try await repository.notify(
            installationID: request.context.issue.installationID, taskID: nil,
            notices: [
                TaskNotice.outsiderReply(
                    on: request.context.issue, to: request.context.requester, body: body, dedupeKey: "\(key):reply")
            ])
    }

    func reply(_ request: ControlRequest, key: String, _ body: String) async throws {
        let issue = request.context.issue
        try await repository.notify(
            installationID: issue.installationID, taskID: nil,
            notices: acknowledgement(request, key: key) + [
                TaskNotice(
                    .createComment(
                        CommentRequest(
                            repositoryFullName: issue.repositoryFullName, issueNumber: issue.number, body: body)),
                    dedupeKey: "\(key):reply")
            ])
    }
}
