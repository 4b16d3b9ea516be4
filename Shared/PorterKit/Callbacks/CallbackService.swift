import Foundation
import Logging

/// What callback-receiver knows beyond its repository and clients.
public struct CallbackSettings: Sendable {
    public var publicURL: URL
    /// Where git clones from: `GITHUB_URL`.
    public var gitURL: URL
    /// The App's slug and id, for the bot's commit identity.
    public var appSlug: String
    public var appID: Int
    /// Operator-provided provider keys (`PORTER_DEFAULT_<NAME>`), by name.
    public var defaultKeys: [String: String]
    /// Serve specs of `script` tasks (tests only).
    public var allowScriptAgent: Bool
    /// The status comment follows progress at most this often.
    public var progressSpacing: Duration
    public static let defaultProgressSpacing: Duration = .seconds(5)
    /// New attempts a task gets after infrastructure failures (`PORTER_INFRA_RETRIES`).
    public var infraRetries: Int

    public init(
        publicURL: URL, gitURL: URL, appSlug: String, appID: Int, defaultKeys: [String: String],
        allowScriptAgent: Bool = false, progressSpacing: Duration = defaultProgressSpacing, infraRetries: Int = 2
    ) {
        self.publicURL = publicURL
        self.gitURL = gitURL
        self.appSlug = appSlug
        self.appID = appID
        self.defaultKeys = defaultKeys
        self.allowScriptAgent = allowScriptAgent
        self.progressSpacing = progressSpacing
        self.infraRetries = infraRetries
    }
}

/// Serves workers their spec, records their heartbeats and progress, and finalizes their tasks. Every
/// call is authenticated by the attempt's token; nothing a worker sends is trusted further than that.
public struct CallbackService: Sendable {
    let repository: any CallbackRepository
    let github: GitHubClient
    let secrets: any UserSecretStore
    let reaper: (any WorkerReaper)?
    let settings: CallbackSettings
    let redactor: Redactor
    let logger: Logger

    public init(
        repository: any CallbackRepository, github: GitHubClient, secrets: any UserSecretStore,
        reaper: (any WorkerReaper)?, settings: CallbackSettings, operatorSecrets: [String], logger: Logger
    ) {
        self.repository = repository
        self.github = github
        self.secrets = secrets
        self.reaper = reaper
        self.settings = settings
        self.redactor = Redactor(knownSecrets: operatorSecrets + Array(settings.defaultKeys.values))
        self.logger = logger
    }

    /// What a caller wants to do with its token: work on the task (fetch the spec, heartbeats,
    /// progress), which ends at the deadline, or report the outcome, which may come a little later.
    public enum Purpose: Sendable { case work, report }

    /// The attempt the bearer token in `authorization` belongs to. Every refusal looks the same.
    public func authenticate(
        taskID: UUID, attempt: Int?, authorization: String?, purpose: Purpose = .work, includePrompt: Bool = false
    ) async throws -> CallbackAttempt {
        guard let authorization, authorization.lowercased().hasPrefix("bearer ") else {
            throw CallbackError.unauthorized
        }
        let token = authorization.dropFirst("bearer ".count).trimmingCharacters(in: .whitespaces)
        guard
            let found = try await repository.attempt(taskID: taskID, number: attempt, includePrompt: includePrompt),
            found.accepts(token: token)
        else { throw CallbackError.unauthorized }
        // The token outlives the deadline only so that a report sent at the deadline still lands.
        if purpose == .work, let deadline = found.spec?.deadline, Date() >= deadline {
            throw CallbackError.unauthorized
        }
        return found
    }

    public func spec(for attempt: CallbackAttempt) async throws -> WorkerSpec {
        let task = attempt.task
        guard attempt.isRunnable, let spec = attempt.spec else {
            throw CallbackError.notRunnable("task \(task.id.uuidString.lowercased()) is \(task.status.rawValue)")
        }
        guard task.request.agent != .script || settings.allowScriptAgent else {
            throw CallbackError.notRunnable("the script agent is disabled")
        }
        guard let (owner, name) = IssueReference.ownerAndName(task.issue.repositoryFullName) else {
            throw CallbackError.notRunnable("task has no valid repository")
        }
        let keys: [String: String]
        let token: GitHubInstallationToken
        do {
            keys = try await providerKeys(for: attempt)
            token = try await github.narrowedInstallationToken(
                installationID: Int(task.issue.installationID), repositories: [name],
                permissions: ["contents": "write", "metadata": "read"])
        } catch let error where DispatchProcessor.isPermanent(error) {
            // Waiting mends none of these (the App lost the repository, a key no configured key opens):
            // the task ends now with the reason, rather than holding its slots until its deadline.
            let reason = "Porter could not prepare the worker: \(Self.explain(error))"
            try await end(attempt, reason: reason)
            throw CallbackError.notRunnable(reason)
        }
        let bot = "\(settings.appSlug)[bot]"
        let issueTitle = spec.issueTitle.isEmpty ? "issue #\(task.issue.number)" : spec.issueTitle
        // Never the request's text: a `fixes #N` in it would close an issue when the branch merges.
        let subject =
            spec.followUp == nil
            ? "\(PromptBuilder.sanitize(issueTitle, limit: 200)) (#\(task.issue.number))"
            : "Follow-up on #\(task.issue.number): \(PromptBuilder.sanitize(issueTitle, limit: 180))"
        let message = """
            \(subject)

            Requested by @\(task.requester.login) in \(task.issue.repositoryFullName)#\(task.issue.number).
            """
        return WorkerSpec(
            taskId: task.id.uuidString.lowercased(), attempt: attempt.number, agent: task.request.agent.rawValue,
            model: task.request.model,
            prompt: spec.prompt, repository: task.issue.repositoryFullName,
            cloneUrl: settings.gitURL.appendingPathComponent(owner).appendingPathComponent("\(name).git")
                .absoluteString,
            baseBranch: spec.baseBranch, branch: spec.branch, deadline: spec.deadline, gitToken: token.token,
            env: keys,
            commit: WorkerSpec.Commit(
                message: message, authorName: bot,
                authorEmail: "\(settings.appID)+\(bot)@users.noreply.github.com",
                coAuthor:
                    "\(task.requester.login) <\(task.requester.id)+\(task.requester.login)@users.noreply.github.com>"),
            issue: WorkerSpec.Issue(number: task.issue.number, title: issueTitle),
            mode: spec.followUp == nil ? .issue : .followUp,
            followUp: spec.followUp.map { WorkerSpec.FollowUp(headSha: $0.headSHA, sideBranch: $0.sideBranch) })
    }

    static func explain(_ error: any Error) -> String {
        if let error = error as? APIError, let code = error.statusCode { return "GitHub answered \(code)" }
        if let error = error as? OperatorKeysWithheld { return error.description }
        return "a stored key could not be opened"
    }

    /// Ends the attempt's task as failed, as a worker reporting `reason` would.
    func end(_ attempt: CallbackAttempt, reason: String) async throws {
        let report = CompletionReport(taskID: attempt.task.id, attempt: attempt.number, outcome: .failed, error: reason)
        let finalizer = Finalizer(
            publicURL: settings.publicURL, webURL: settings.gitURL, redactor: redactor,
            infraRetries: settings.infraRetries)
        _ = try await repository.complete(attempt, report: report) { context in
            finalizer.decide(context, attempt: attempt.number, report: report, spec: attempt.spec)
        }
    }

    /// The provider keys the agent runs on: the requester's own, or the operator's defaults. A worker
    /// in the requester's own Fly app gets their keys whatever the spec says, never the operator's:
    /// they can read that Machine's environment and memory.
    func providerKeys(for attempt: CallbackAttempt) async throws -> [String: String] {
        let task = attempt.task
        let ownApp = try await runsInRequesterApp(attempt)
        guard ownApp || attempt.spec?.keySource == "user" else {
            return settings.defaultKeys.filter { task.request.agent.keyNames.contains($0.key) }
        }
        let keys = try await userKeys(for: task)
        if ownApp, keys.isEmpty, !task.request.agent.keyNames.isEmpty {
            logger.warning(
                "refused the operator's keys to a worker in the requester's own Fly app",
                metadata: ["task_id": "\(task.id.uuidString.lowercased())", "attempt": "\(attempt.number)"])
            throw OperatorKeysWithheld(names: task.request.agent.keyNames)
        }
        return keys
    }

    /// The requester's own keys for the task's agent.
    func userKeys(for task: PorterTask) async throws -> [String: String] {
        var keys: [String: String] = [:]
        for name in task.request.agent.keyNames {
            if let value = try await secrets.value(userID: task.requester.id, name: name) { keys[name] = value }
        }
        return keys
    }

    /// Whether the attempt's worker runs in the requester's own Fly app, as the dispatcher recorded it.
    /// An attempt recorded before that was is judged as the dispatcher judged it: a Fly worker of
    /// someone who stored their own Fly token runs in their app.
    func runsInRequesterApp(_ attempt: CallbackAttempt) async throws -> Bool {
        if let recorded = attempt.inRequesterApp { return recorded }
        guard attempt.runtime == WorkerRuntime.fly.rawValue else { return false }
        return try await secrets.names(userID: attempt.task.requester.id).contains("FLY_API_TOKEN")
    }

    /// Records a heartbeat and says whether the worker should go on.
    public func heartbeat(_ attempt: CallbackAttempt) async throws -> Bool {
        guard attempt.reply == nil else { return false }
        try await repository.heartbeat(attempt)
        return attempt.isRunnable
    }

    /// Stores a progress event (redacted) and keeps the status comment on the worker's latest phase:
    /// a new phase is shown at most once per `progressSpacing`, one inside it is deferred, never
    /// dropped. The latest output line is kept for the comment's next edit.
    public func progress(_ attempt: CallbackAttempt, _ report: ProgressReport) async throws {
        let redactor = try await redactor(for: attempt)
        let progress = ProgressReport(
            phase: report.phase, message: redactor.redact(report.message), lines: report.lines.map(redactor.redact))
        let note = AgentLine.latest(lines: progress.lines, message: progress.message).map { String($0.prefix(500)) }
        var notices: [TaskNotice] = []
        if attempt.isRunnable, attempt.task.status == .running {
            notices = Self.statusNotices(
                attempt.task, phase: progress.phase, note: note, publicURL: settings.publicURL)
        }
        try await repository.recordProgress(
            attempt, progress, note: note, spacing: settings.progressSpacing, notices: notices)
    }

    /// The status comment of a running task (only: the issue's label already says running), at the
    /// worker's `phase` with its latest line, its elapsed time counted to `now`.
    public static func statusNotices(
        _ task: PorterTask, phase: String?, note: String?, publicURL: URL, now: Date = Date()
    ) -> [TaskNotice] {
        let shown: StatusComment.Phase = phase.map { .working(phase: describe($0), note: note) } ?? .running
        return TaskNotice.status(task, shown, publicURL: publicURL, now: now).filter {
            $0.effect.kind == "status_comment"
        }
    }

    static func describe(_ phase: String) -> String {
        switch phase {
        case "cloning": "cloning the repository"
        case "agent": "the agent is working"
        case "committing": "committing the agent's changes"
        case "pushing": "pushing the branch"
        case "rebasing": "rebasing onto new commits on the branch"
        default: "reporting back"
        }
    }

    /// Finalizes the task from a report, once, and returns the answer every copy of it gets.
    public func complete(_ report: CompletionReport, authorization: String?) async throws -> String {
        let attempt = try await authenticate(
            taskID: report.taskID, attempt: report.attempt, authorization: authorization, purpose: .report)
        try Self.checkSideBranch(report, of: attempt)
        try Self.checkBranch(report, of: attempt)
        let finalizer = Finalizer(
            publicURL: settings.publicURL, webURL: settings.gitURL, redactor: try await redactor(for: attempt),
            infraRetries: settings.infraRetries)
        let (reply, first) = try await repository.complete(attempt, report: report) { context in
            finalizer.decide(context, attempt: attempt.number, report: report, spec: attempt.spec)
        }
        if first {
            logger.info(
                "task attempt reported",
                metadata: [
                    "task_id": "\(attempt.task.id.uuidString.lowercased())", "attempt": "\(attempt.number)",
                    "reported": "\(report.outcome.rawValue)",
                ])
            if let reaper { Task { await reaper.reap(attempt) } }
        }
        return reply
    }

    /// A reported side branch must be the one the spec named, or that name with `-<attempt>` (the worker's
    /// choice when the first one exists already): a worker may not point a task's record and comment at
    /// any other branch.
    static func checkSideBranch(_ report: CompletionReport, of attempt: CallbackAttempt) throws(CallbackError) {
        guard let reported = report.sideBranch else { return }
        guard let spec = attempt.spec, let followUp = spec.followUp else {
            throw .badRequest("side_branch is only for follow-ups on a pull request")
        }
        guard spec.acceptedSideBranches(attempt: attempt.number).contains(reported) else {
            throw .badRequest(
                "side_branch must be \(followUp.sideBranch) or \(followUp.sideBranch)-\(attempt.number), "
                    + "as the task's spec says")
        }
    }

    /// A reported branch must be the task's own, as its spec names it (or, for a follow-up, one of its
    /// side branches): the pull request is opened from that branch, never from one a token holder names.
    static func checkBranch(_ report: CompletionReport, of attempt: CallbackAttempt) throws(CallbackError) {
        guard let reported = report.branch, let spec = attempt.spec, reported != spec.branch else { return }
        guard !spec.acceptedSideBranches(attempt: attempt.number).contains(reported) else { return }
        throw .badRequest("branch must be \(spec.branch), the task's branch as its spec says")
    }

    /// The base redactor plus the attempt's own provider keys, so none of them is stored or posted.
    func redactor(for attempt: CallbackAttempt) async throws -> Redactor {
        var servesUserKeys = attempt.spec?.keySource == "user"
        if !servesUserKeys { servesUserKeys = try await runsInRequesterApp(attempt) }
        guard servesUserKeys else { return redactor }
        return redactor.adding(Array(try await userKeys(for: attempt.task).values))
    }
}

/// The agent needs a provider key, the worker runs in the requester's own Fly app, and the requester
/// has none of their own: the operator's are not served there, so the task cannot run.
struct OperatorKeysWithheld: Error, ClassifiedError, CustomStringConvertible {
    var names: [String]
    var failure: Failure { .permanent }

    var description: String {
        "the worker runs in your own Fly.io app, which the operator's keys are never sent to, and you have no "
            + "\(names.joined(separator: " or ")) of your own"
    }
}

/// Removes a finished attempt's worker if it is still there.
public protocol WorkerReaper: Sendable {
    func reap(_ attempt: CallbackAttempt) async
}
