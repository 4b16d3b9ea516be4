import Foundation
import Logging
import Prometheus

/// What the dispatcher is configured with, beyond its collaborators.
public struct DispatchSettings: Sendable {
    public var publicURL: URL
    public var callbackURL: URL
    public var limits: TaskLimits
    /// The names of the operator's `PORTER_DEFAULT_<NAME>` keys.
    public var defaultKeyNames: Set<String>
    /// How long a task from someone without a Porter account waits for them to sign in.
    public var signInWait: Duration
    /// How often a waiting task looks for its slot again (finishing tasks also wake it).
    public var waitPoll: Duration
    public static let defaultWaitPoll: Duration = .seconds(5)
    /// How long a step keeps trying through transient failures (GitHub or Fly unavailable), and the
    /// backoff between tries; then the task ends failed.
    public var budget: FailureBudget
    /// `PORTER_FOLLOWUPS_ON_ANY_PR`: follow-ups also on same-repository pull requests Porter did not open.
    public var followUpsOnAnyPullRequest: Bool
    /// `PORTER_DEMO_AGENT`: tasks of the built-in `demo` agent run, and their workers are told so.
    public var demoAgent: Bool

    public init(
        publicURL: URL, callbackURL: URL, limits: TaskLimits, defaultKeyNames: Set<String>,
        signInWait: Duration = .seconds(15 * 60), waitPoll: Duration = defaultWaitPoll,
        budget: FailureBudget = FailureBudget(), followUpsOnAnyPullRequest: Bool = false, demoAgent: Bool = false
    ) {
        self.publicURL = publicURL
        self.callbackURL = callbackURL
        self.limits = limits
        self.defaultKeyNames = defaultKeyNames
        self.signInWait = signInWait
        self.waitPoll = waitPoll
        self.budget = budget
        self.followUpsOnAnyPullRequest = followUpsOnAnyPullRequest
        self.demoAgent = demoAgent
    }
}

/// What became of one claimed dispatch job.
public enum JobOutcome: Sendable, Equatable {
    /// Nothing more to do for it: the task runs, ended, or is no longer the dispatcher's.
    case done
    /// Look again after `delay`: waiting for a slot, for a worker to stop; no failure.
    case later(Duration, reason: String)
    /// Try again after `delay`: a transient failure, counted toward the job's `FailureBudget`.
    case failed(Duration, reason: String)
}

/// Takes one task from queued to running: authorize the requester, acknowledge on the issue, check
/// keys, admit under the limits, build the spec, and start exactly one worker for the attempt. Every
/// step can be repeated after a crash: each one records what it did before the next begins.
public struct DispatchProcessor: Sendable {
    let repository: any DispatchRepository
    let github: GitHubClient
    let secrets: any UserSecretStore
    let targets: WorkerTargets
    let keyring: EncryptionKeyring
    let settings: DispatchSettings
    let crashPoints: CrashPoints
    let dispatchLatency: DurationHistogram?
    let logger: Logger

    public init(
        repository: any DispatchRepository, github: GitHubClient, secrets: any UserSecretStore,
        targets: WorkerTargets, keyring: EncryptionKeyring, settings: DispatchSettings,
        crashPoints: CrashPoints = .none, metrics: ServiceMetrics? = nil, logger: Logger
    ) {
        self.repository = repository
        self.github = github
        self.secrets = secrets
        self.targets = targets
        self.keyring = keyring
        self.settings = settings
        self.crashPoints = crashPoints
        self.dispatchLatency = metrics?.histogram(
            "dispatch_duration", help: "From the task's creation to its worker being created.")
        self.logger = logger
    }

    public func process(_ job: ClaimedJob) async -> JobOutcome {
        guard let taskID = job.taskID else { return .done }
        var logger = logger
        logger[metadataKey: "task_id"] = "\(taskID.uuidString.lowercased())"
        var current: DispatchState?
        do {
            guard let state = try await repository.state(taskID: taskID) else { return .done }
            current = state
            switch state.task.status {
            case .queued: return try await admit(state, logger: logger)
            case .dispatching: return try await launch(state, logger: logger)
            case .running, .succeeded, .failed, .timedOut, .cancelled: return .done
            }
        } catch {
            // What will not get better by waiting, or has failed for too long, ends the task, so it
            // never holds its slots forever.
            let permanent = Self.isPermanent(error)
            if let state = current, permanent || settings.budget.isExhausted(job, now: Date()) {
                let reason =
                    permanent
                    ? Failure.explain(error)
                    : "\(Failure.explain(error)) (gave up after \(job.failures + 1) failed tries)"
                logger.warning(
                    "dispatch step failed for good",
                    metadata: ["error": "\(String(reflecting: error))", "permanent": "\(permanent)"])
                // Until GitHub has said the requester may write, they are answered as an outsider.
                let authorized = (try? await repository.state(taskID: taskID))?.authorizedPermission != nil
                let (ended, reply) = ("dispatch failed: \(reason)", "Porter could not start this task: \(reason).")
                let outcome: JobOutcome?
                if authorized {
                    outcome = try? await fail(state.task, reason: ended, reply: reply)
                } else {
                    outcome = try? await refuse(state.task, reason: ended, reply: reply)
                }
                if let outcome { return outcome }
            }
            logger.warning("dispatch step failed; will retry", metadata: ["error": "\(String(reflecting: error))"])
            return .failed(settings.budget.delay(job), reason: "\(error)")
        }
    }

    /// GitHub or Fly refused for good, a stored secret no configured key opens, data the database
    /// refuses, or a worker target that cannot be used: trying again changes nothing.
    static func isPermanent(_ error: any Error) -> Bool { Failure.isPermanent(error) }

    // MARK: queued → dispatching

    func admit(_ state: DispatchState, logger: Logger) async throws -> JobOutcome {
        let task = state.task
        // GitHub would refuse every call for a suspended or removed installation; nothing to tell it.
        guard !state.installationInactive else {
            _ = try await repository.end(
                task, as: .cancelled, reason: "the installation is suspended or removed", notices: [])
            return .done
        }
        let labels = !state.otherActiveOnIssue
        if state.authorizedPermission == nil {
            if let refused = try await authorize(task, labels: labels, logger: logger) { return refused }
            // A follow-up is then checked against its pull request, so a refusal comes before any wait
            // for keys or a slot; its spec checks again, since the pull request may change meanwhile.
            if task.kind == .followUp, case .refused(let outcome) = try await checkFollowUpTarget(task, logger: logger)
            {
                return outcome
            }
        }
        // Commands and the web app name `demo` only where it is on; a task that got here another way (a
        // retry, a follow-up on a demo's pull request, a switch turned off since) ends saying why.
        if task.request.agent == .demo, !settings.demoAgent {
            return try await fail(
                task, reason: "the demo agent is turned off",
                reply: """
                    Porter did not run this task: `demo` is Porter's built-in demo agent, which the operator of \
                    this Porter has not turned on (`PORTER_DEMO_AGENT`). Name another agent to have the work done.
                    """, labels: labels)
        }
        let userKeys = state.requesterHasAccount ? try await secrets.names(userID: task.requester.id) : []
        let ownFlyApp = targets.runsInRequesterApp(requesterHasFlyToken: userKeys.contains("FLY_API_TOKEN"))
        switch KeyDecision.decide(
            agent: task.request.agent, hasAccount: state.requesterHasAccount, userKeys: userKeys,
            defaultKeys: settings.defaultKeyNames, ownFlyApp: ownFlyApp)
        {
        case .ready: break
        case .missing where task.statusReason == Self.waitingForSignIn:
            // Signed in since the sign-in reply, keys not added yet: the reply promised to wait for them.
            return try await waitForSignIn(task, labels: labels)
        case .missing(let names):
            return try await failForMissingKeys(task, names: names, ownFlyApp: ownFlyApp, labels: labels)
        case .signInNeeded:
            return try await waitForSignIn(task, labels: labels)
        }
        switch try await repository.admit(taskID: task.id, maxActivePerUser: settings.limits.maxActivePerUser) {
        case .admitted:
            try await repository.notify(task, notices: status(task, .starting))
            guard let admitted = try await repository.state(taskID: task.id) else { return .done }
            return try await launch(admitted, logger: logger)
        case .waitingForUserSlot(let active):
            try await repository.noteWaiting(
                task, reason: "waiting for a slot (\(active) active)",
                notices: status(
                    task, .waitingForUserSlot(active: active, limit: settings.limits.maxActivePerUser)))
            return .later(settings.waitPoll, reason: "waiting for a slot")
        case .waitingForIssue(let blocker):
            try await repository.noteWaiting(
                task, reason: "waiting for task \(blocker.uuidString.lowercased())",
                notices: status(task, .waitingForIssue(blockedBy: blocker), labels: false))
            return .later(settings.waitPoll, reason: "waiting for another task on the issue")
        case .notQueued, .notFound:
            return .done
        }
    }

    /// Checks the requester's permission; returns the outcome when they may not run tasks. Any
    /// error from GitHub fails closed: the task waits and is checked again.
    func authorize(_ task: PorterTask, labels: Bool, logger: Logger) async throws -> JobOutcome? {
        let (owner, repo) = try Self.split(task.issue.repositoryFullName)
        let permission: GitHubPermission
        do {
            permission = try await github.collaboratorPermission(
                installationID: Int(task.issue.installationID), owner: owner, repo: repo, user: task.requester.login)
        } catch let error where Self.isPermanent(error) {
            // Fails closed for good: GitHub will not say this person may write (a 404 for someone
            // who is no user, or a repository the App lost).
            logger.notice("permission check refused", metadata: ["error": "\(String(reflecting: error))"])
            return try await refuse(
                task, reason: "the permission of @\(task.requester.login) could not be checked",
                reply: "@\(task.requester.login) Porter could not confirm that you may write to this repository.")
        } catch {
            logger.warning(
                "permission check failed; the task waits", metadata: ["error": "\(String(reflecting: error))"])
            throw StepFailure("the permission check", error)
        }
        guard permission.canWrite else {
            logger.notice("requester may not run tasks", metadata: ["permission": "\(permission.rawValue)"])
            return try await refuse(
                task, reason: "@\(task.requester.login) has \(permission.rawValue) permission",
                reply: """
                    @\(task.requester.login) Porter runs tasks only for people with write, maintain or admin \
                    permission on this repository; you have \(permission.rawValue), so nothing ran.
                    """)
        }
        try await repository.recordAuthorization(
            task, permission: permission,
            notices: TaskNotice.acknowledgement(task) + status(task, .queued, labels: labels))
        return nil
    }

    static let waitingForSignIn = "waiting for sign-in"

    /// What the pull request check of a follow-up found.
    enum FollowUpCheck {
        /// The task ended with a reply saying why.
        case refused(JobOutcome)
        /// Porter may push to the pull request's head branch, as it was just read.
        case allowed(GitHubPullRequest)
    }

    /// Whether a follow-up may push to its pull request's branch (`FollowUpTarget`), ending the task with
    /// the reason when it may not. What GitHub cannot answer now makes the task wait, as the permission
    /// check does.
    func checkFollowUpTarget(_ task: PorterTask, logger: Logger) async throws -> FollowUpCheck {
        let (owner, repo) = try Self.split(task.issue.repositoryFullName)
        let installation = Int(task.issue.installationID)
        let number = task.issue.number
        let pull: GitHubPullRequest
        let refusal: FollowUpTarget.Refusal?
        do {
            pull = try await github.pullRequest(
                installationID: installation, owner: owner, repo: repo, number: number)
            let repository = try await github.repository(installationID: installation, owner: owner, repo: repo)
            let head = try await github.branch(
                installationID: installation, owner: owner, repo: repo, branch: pull.head.ref)
            refusal = FollowUpTarget.check(
                pull: pull, repositoryID: task.issue.repositoryID, defaultBranch: repository.defaultBranch,
                headBranch: head, openedByPorter: task.followUpOf != nil,
                anyPullRequest: settings.followUpsOnAnyPullRequest)
        } catch let error where Self.isPermanent(error) {
            logger.notice("pull request unreadable", metadata: ["error": "\(String(reflecting: error))"])
            return .refused(
                try await fail(
                    task, reason: "pull request #\(number) could not be read",
                    reply: "Porter could not read pull request #\(number), so nothing ran.", labels: false))
        } catch {
            throw StepFailure("the pull request check", error)
        }
        guard let refusal else { return .allowed(pull) }
        let issue = try await repository.issueNumber(of: task.followUpOf)
        return .refused(
            try await fail(
                task, reason: refusal.reason, reply: refusal.reply(pull: number, issue: issue), labels: false))
    }

    func waitForSignIn(_ task: PorterTask, labels: Bool) async throws -> JobOutcome {
        let signIn = settings.publicURL.absoluteString
        if Date().timeIntervalSince(task.createdAt) >= Double(settings.signInWait.components.seconds) {
            return try await fail(
                task, reason: "@\(task.requester.login) did not sign in to Porter",
                reply:
                    "@\(task.requester.login) this task ended: nobody signed in at \(signIn) to provide keys in time.",
                labels: labels)
        }
        try await repository.noteWaiting(
            task, reason: Self.waitingForSignIn,
            notices: [
                TaskNotice.reply(
                    task, purpose: "sign-in",
                    body: """
                        @\(task.requester.login) Porter needs an API key for `\(task.request.agent.rawValue)` to run \
                        this. Sign in at \(signIn) and add one in your settings; the task starts when you do \
                        (it waits \(StatusComment.format(settings.signInWait))).
                        """)
            ] + status(task, .waitingForSignIn, labels: labels))
        return .later(min(settings.waitPoll * 6, .seconds(30)), reason: "waiting for sign-in")
    }

    // MARK: dispatching → running

    func launch(_ state: DispatchState, logger: Logger) async throws -> JobOutcome {
        let task = state.task
        // Asked to stop (the issue closed, the installation went away) before its worker existed.
        guard !state.cancelRequested else {
            let reason = task.statusReason ?? "cancelled before it started"
            _ = try await repository.end(
                task, as: .cancelled, reason: reason,
                notices: status(task, .finished(.cancelled, detail: "Cancelled before a worker started: \(reason).")))
            return .done
        }
        let userKeys = state.requesterHasAccount ? try await secrets.names(userID: task.requester.id) : []
        let spec: TaskSpec
        if let stored = state.spec {
            spec = stored
        } else if task.kind == .followUp {
            // Checked again: the pull request may have been merged, or its branch protected, since.
            switch try await checkFollowUpTarget(task, logger: logger) {
            case .refused(let outcome): return outcome
            case .allowed(let pull): spec = try await followUpSpecification(for: state, pull: pull, userKeys: userKeys)
            }
        } else {
            spec = try await specification(for: state, userKeys: userKeys)
        }
        // Only the Fly token is opened here; provider keys stay sealed until the worker asks for them.
        let flyToken =
            userKeys.contains("FLY_API_TOKEN")
            ? try await secrets.value(userID: task.requester.id, name: "FLY_API_TOKEN") : nil
        let target: WorkerTarget
        do {
            // An attempt begun before a crash stays in the app it was begun in, so the lookup by
            // name finds its Machine even if the configured app changed since.
            target = try await targets.target(
                userToken: flyToken, app: state.requesterFlyApp, org: state.requesterFlyOrg,
                attemptApp: state.openAttemptApp)
        } catch let problem as WorkerTargetProblem {
            return try await fail(
                task, reason: problem.description, reply: "Porter could not start a worker: \(problem)")
        }
        // Admission decided on the keys of that moment; the requester may have added a Fly token or
        // removed their keys since (or this is a new attempt after a worker failed). A worker in their
        // own app runs on their own keys or not at all.
        if target.inRequesterApp,
            case .missing(let names) = KeyDecision.decide(
                agent: task.request.agent, hasAccount: state.requesterHasAccount, userKeys: userKeys,
                defaultKeys: settings.defaultKeyNames, ownFlyApp: true)
        {
            return try await failForMissingKeys(task, names: names, ownFlyApp: true)
        }
        let fresh = TaskToken.generate()
        let context = "task_token:\(task.id.uuidString.lowercased())"
        let (attempt, isNew) = try await repository.beginAttempt(
            taskID: task.id, runtime: target.runtime, flyApp: target.flyApp, inRequesterApp: target.inRequesterApp,
            token: fresh,
            sealedToken: keyring.seal(Data(fresh.value.utf8), context: context),
            expiresAt: spec.deadline.addingTimeInterval(TaskToken.reportGrace))
        crashPoints.hit(.afterAttempt)
        let token: TaskToken
        if isNew {
            token = fresh
        } else if let sealed = attempt.sealedToken {
            token = TaskToken(value: try keyring.openString(sealed, context: context))
        } else {
            throw WorkerTargetProblem("attempt \(attempt.number) has no token to relaunch with")
        }
        let launch = WorkerLaunch(
            taskID: task.id, attempt: attempt.number, machineName: attempt.machineName,
            callbackURL: settings.callbackURL, token: token, deadline: spec.deadline,
            repository: task.issue.repositoryFullName, issue: task.issue.number,
            demoAgent: task.request.agent == .demo && settings.demoAgent)
        let machineID: String
        do {
            machineID = try await crashPoints.during(.createInFlight) { try await target.launcher.launch(launch) }
        } catch let error as APIError where Failure.isPermanent(error) {
            return try await fail(
                task, reason: "the worker could not be created: \(error)",
                reply: "Porter could not start a worker: \(Failure.explain(error)).")
        }
        crashPoints.hit(.afterCreate)
        let outcome = try await repository.markRunning(
            task, attempt: attempt.number, machineID: machineID, notices: status(task, .running))
        if case .unchanged(current: .dispatching) = outcome {
            // The attempt's worker reported an infrastructure failure before it was recorded running.
            return .later(.zero, reason: "attempt \(attempt.number) ended at once; starting the next")
        }
        if outcome.moved {
            dispatchLatency?.record(Duration.seconds(Date().timeIntervalSince(task.createdAt)))
            logger.info(
                "worker started",
                metadata: [
                    "machine_id": "\(machineID)", "attempt": "\(attempt.number)", "runtime": "\(target.runtime)",
                ])
        }
        return .done
    }

    /// An issue task's new spec (`launch` uses a stored one first): the prompt from the issue, the command
    /// and the repository's instruction files, the branch, the base branch and the deadline.
    func specification(for state: DispatchState, userKeys: Set<String>) async throws -> TaskSpec {
        let task = state.task
        let installation = Int(task.issue.installationID)
        let (owner, repo) = try Self.split(task.issue.repositoryFullName)
        let base: String
        if let requested = task.request.baseBranch {
            base = requested
        } else {
            base = try await github.repository(installationID: installation, owner: owner, repo: repo).defaultBranch
        }
        let issue = try await github.issue(
            installationID: installation, owner: owner, repo: repo, number: task.issue.number)
        var files: [(path: String, content: String)] = []
        for path in ["AGENTS.md", "CLAUDE.md"] {
            if let content = try await github.fileContents(
                installationID: installation, owner: owner, repo: repo, path: path, ref: base)
            {
                files.append((path, content))
            }
        }
        // The script agent (tests and operators only) runs its instructions as they are.
        let prompt =
            task.request.agent == .script
            ? PromptBuilder.storable(task.request.instructions)
            : PromptBuilder().build(
                PromptBuilder.Input(
                    repository: task.issue.repositoryFullName, issueNumber: task.issue.number, issueTitle: issue.title,
                    issueBody: issue.body ?? "", instructions: task.request.instructions,
                    requester: task.requester.login,
                    repositoryFiles: files))
        let usesOwnKeys = task.request.agent.keyNames.contains { userKeys.contains($0) }
        let spec = TaskSpec(
            prompt: prompt, branch: TaskSpec.branchName(taskID: task.id, issue: task.issue.number), baseBranch: base,
            deadline: Date().addingTimeInterval(Double(settings.limits.timeout.components.seconds)),
            keySource: usesOwnKeys ? "user" : "operator", issueTitle: PromptBuilder.storable(issue.title))
        try await repository.recordSpec(task.id, spec)
        // Another dispatcher may have recorded its spec first: use whichever is stored.
        return try await repository.state(taskID: task.id)?.spec ?? spec
    }

    /// A follow-up's spec: the pull request's head branch at the commit just read, its base, and a prompt
    /// from the request, the review context, the pull request, the issue it was opened for and the
    /// instruction files on the branch.
    func followUpSpecification(
        for state: DispatchState, pull: GitHubPullRequest, userKeys: Set<String>
    ) async throws -> TaskSpec {
        let task = state.task
        let installation = Int(task.issue.installationID)
        let (owner, repo) = try Self.split(task.issue.repositoryFullName)
        var issue: (number: Int, title: String, body: String)?
        if let number = try await repository.issueNumber(of: task.followUpOf) {
            let read = try await github.issue(installationID: installation, owner: owner, repo: repo, number: number)
            issue = (number, read.title, read.body ?? "")
        }
        var notes: [PromptBuilder.ReviewNote] = []
        switch state.followUp?.source {
        case .review?:
            if let reviewID = state.followUp?.reviewID {
                notes = try await github.reviewComments(
                    installationID: installation, owner: owner, repo: repo, number: pull.number, reviewID: reviewID
                ).map {
                    PromptBuilder.ReviewNote(
                        author: $0.user?.login ?? "ghost", path: $0.path, startLine: $0.startLine, line: $0.line,
                        side: $0.side, diffHunk: $0.diffHunk, body: $0.body)
                }
            }
        case .reviewComment?:
            if let request = state.followUp, let path = request.path {
                notes = [
                    PromptBuilder.ReviewNote(
                        author: task.requester.login, path: path, startLine: request.startLine, line: request.line,
                        side: request.side, diffHunk: request.diffHunk ?? "",
                        body: "(the request above, made on these lines)")
                ]
            }
        case .conversation?, nil:
            break
        }
        var files: [(path: String, content: String)] = []
        for path in ["AGENTS.md", "CLAUDE.md"] {
            if let content = try await github.fileContents(
                installationID: installation, owner: owner, repo: repo, path: path, ref: pull.head.sha)
            {
                files.append((path, content))
            }
        }
        let prompt =
            task.request.agent == .script
            ? PromptBuilder.storable(task.request.instructions)
            : PromptBuilder().buildFollowUp(
                PromptBuilder.FollowUpInput(
                    repository: task.issue.repositoryFullName, pullNumber: pull.number, pullTitle: pull.title,
                    pullBody: pull.body ?? "", headBranch: pull.head.ref, issue: issue,
                    request: task.request.instructions, requester: task.requester.login, notes: notes,
                    repositoryFiles: files))
        let sequence = try await repository.followUpSequence(of: task)
        let usesOwnKeys = task.request.agent.keyNames.contains { userKeys.contains($0) }
        let spec = TaskSpec(
            prompt: prompt, branch: pull.head.ref, baseBranch: pull.base.ref,
            deadline: Date().addingTimeInterval(Double(settings.limits.timeout.components.seconds)),
            keySource: usesOwnKeys ? "user" : "operator", issueTitle: PromptBuilder.storable(pull.title),
            followUp: TaskSpec.FollowUp(
                headSHA: pull.head.sha,
                sideBranch: TaskSpec.FollowUp.sideBranch(head: pull.head.ref, sequence: sequence), sequence: sequence))
        try await repository.recordSpec(task.id, spec)
        return try await repository.state(taskID: task.id)?.spec ?? spec
    }

    // MARK: helpers

    func fail(_ task: PorterTask, reason: String, reply: String, labels: Bool = true) async throws -> JobOutcome {
        _ = try await repository.end(
            task, as: .failed, reason: reason,
            notices: [TaskNotice.reply(task, purpose: "failed", body: reply)]
                + status(task, .finished(.failed, detail: reply), labels: labels))
        return .done
    }

    /// Ends the task of a requester GitHub has not confirmed may write. It is failed in Porter's records
    /// like any other, but what it writes on GitHub is bounded: the reply is at most the issue's one
    /// reply of the day to people without write access, with no reaction, status comment or label, so
    /// a stranger's comments cannot make the App write at will or relabel the issue.
    func refuse(_ task: PorterTask, reason: String, reply: String) async throws -> JobOutcome {
        _ = try await repository.end(
            task, as: .failed, reason: reason,
            notices: [
                TaskNotice.outsiderReply(
                    on: task.issue, to: task.requester, body: reply,
                    dedupeKey: "task:\(task.id.uuidString.lowercased()):refused")
            ])
        return .done
    }

    /// The status comment for `phase` and, when `labels`, the issue's label: a task waiting behind
    /// another on its issue, or refused while another runs there, leaves the labels to that one.
    func status(_ task: PorterTask, _ phase: StatusComment.Phase, labels: Bool = true) -> [TaskNotice] {
        let notices = TaskNotice.status(task, phase, publicURL: settings.publicURL)
        return labels ? notices : notices.filter { if case .setLabels = $0.effect { false } else { true } }
    }

    /// Ends a task whose agent has none of the keys `names`, telling the requester which to add.
    func failForMissingKeys(
        _ task: PorterTask, names: [String], ownFlyApp: Bool, labels: Bool = true
    ) async throws -> JobOutcome {
        let wanted = "no \(names.joined(separator: " or ")) for \(task.request.agent.rawValue)"
        return try await fail(
            task, reason: ownFlyApp ? "\(wanted) in the requester's own Fly app" : wanted,
            reply: Self.missingKeyReply(task, names: names, publicURL: settings.publicURL, ownFlyApp: ownFlyApp),
            labels: labels)
    }

    static func missingKeyReply(_ task: PorterTask, names: [String], publicURL: URL, ownFlyApp: Bool) -> String {
        let settingsURL = publicURL.appendingPathComponent("settings").absoluteString
        let keys = names.map { "`\($0)`" }.joined(separator: " or ")
        let why =
            ownFlyApp
            ? "Your tasks run in your own Fly.io app, which the operator's keys are never sent to, "
                + "so it must be your own."
            : "Neither you nor the operator has set one."
        return """
            @\(task.requester.login) `\(task.request.agent.rawValue)` needs \(keys). \(why) \
            Add it at \(settingsURL), then comment `@porter retry`.
            """
    }

    static func split(_ fullName: String) throws -> (String, String) {
        guard let parts = IssueReference.ownerAndName(fullName) else {
            throw WorkerTargetProblem("repository name \(fullName) is malformed")
        }
        return parts
    }
}
