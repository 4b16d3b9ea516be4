import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Delivers queued GitHub side effects. A comment carries a hidden marker with its dedupe key, and
/// a retried comment is looked for before it is posted again, so an answer lost on the way back
/// never becomes a second comment. A failed delivery is tried again, or given up, as `SideEffectRetry`
/// decides.
public struct SideEffectDeliverer: Service {
    /// How long a claimed effect stays with its deliverer without a word from it: renewed as each one
    /// starts, and every third of it while the effect is delivered (GitHub's pacing and rate limits
    /// can hold a call far longer than the lease). Short, because it is also how long the effects a
    /// killed dispatcher had claimed wait before another one takes them.
    let lease: Duration
    public static let defaultLease: Duration = .seconds(30)

    /// Notified when a side effect is queued.
    public static let channel = "porter_side_effects"

    let queue: any SideEffectQueue
    let github: GitHubClient
    let wakeups: JobWakeups
    let owner: String
    let retry: SideEffectRetry
    /// The clock an effect's patience is measured on; tests move it instead of waiting.
    let now: @Sendable () -> Date
    let metrics: ServiceMetrics?
    let logger: Logger
    /// The App's own login on GitHub (`<slug>[bot]`), read once from `GET /app`.
    let botLogin = AppLogin()

    public init(
        queue: any SideEffectQueue, github: GitHubClient, wakeups: JobWakeups, owner: String,
        retry: SideEffectRetry = SideEffectRetry(), lease: Duration = defaultLease,
        now: @escaping @Sendable () -> Date = { Date() }, metrics: ServiceMetrics? = nil, logger: Logger
    ) {
        self.lease = lease
        self.queue = queue
        self.github = github
        self.wakeups = wakeups
        self.owner = owner
        self.retry = retry
        self.now = now
        self.metrics = metrics
        self.logger = logger
    }

    public func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await wakeups.run() }
            for await _ in wakeups.wakeups.cancelOnGracefulShutdown() {
                do {
                    while try await deliverReady() > 0 {}
                    // A deferred effect (a status edit waiting out its spacing) goes out when it is due,
                    // not at whichever backstop poll comes after.
                    if let due = try await queue.nextDue() { wakeups.wake(after: due) }
                } catch {
                    if Task.isShuttingDownGracefully { break }
                    logger.error("side effect delivery failed", metadata: ["error": "\(String(reflecting: error))"])
                }
            }
            group.cancelAll()
        }
    }

    /// Delivers one batch of ready side effects and returns how many it claimed.
    @discardableResult
    public func deliverReady(limit: Int = 5) async throws -> Int {
        // A claim waiting for a connection to an unreachable database must not hold up shutdown.
        let effects = try await cancelWhenGracefulShutdown { [queue, owner] in
            try await queue.claim(owner: owner, lease: lease, limit: limit)
        }
        for effect in effects {
            // Effects wait their turn behind GitHub's pacing; each starts with a fresh lease, and one
            // whose lease ran out meanwhile is left to whoever holds it now.
            guard try await queue.extend(effect, owner: owner, lease: lease) else { continue }
            do {
                try await keepingLease(effect) {
                    if case .openPullRequest(let order) = try SideEffect(kind: effect.kind, payload: effect.payload) {
                        let pull = try await openPullRequest(order, effect)
                        try await queue.completePullRequest(
                            effect, owner: owner, pull: pull,
                            notices: [
                                order.finalComment.notice(installationID: effect.installationID, pullRequest: pull)
                            ])
                    } else {
                        let result = try await deliver(effect)
                        try await queue.complete(effect, owner: owner, result: result)
                    }
                }
            } catch is LeaseLost {
                logger.warning(
                    "side effect lease lost mid-delivery; left to its new deliverer",
                    metadata: ["dedupe_key": "\(effect.dedupeKey)"])
            } catch {
                switch retry.decide(
                    kind: effect.kind, queuedAt: effect.queuedAt, attempts: effect.attempts, after: error, now: now())
                {
                case .retry(let delay):
                    try await queue.retry(effect.id, owner: owner, after: delay, error: "\(error)")
                case .abandon(let reason):
                    try await abandon(effect, reason: reason, after: error)
                }
            }
        }
        return effects.count
    }

    /// Gives `effect` up, keeping the reason on its row, and counts it.
    func abandon(_ effect: PendingSideEffect, reason: AbandonReason, after error: any Error) async throws {
        let text = retry.reason(reason, after: error)
        logger.warning(
            "side effect abandoned",
            metadata: ["dedupe_key": "\(effect.dedupeKey)", "reason": "\(reason.rawValue)", "error": "\(text)"])
        let abandoned: Bool
        if case .openPullRequest(let order)? = try? SideEffect(kind: effect.kind, payload: effect.payload) {
            // The task's final comment still goes out, saying why there is no pull request.
            abandoned = try await queue.abandonPullRequest(
                effect, owner: owner, error: text,
                notices: [
                    order.finalComment.notice(
                        installationID: effect.installationID, pullRequestProblem: Self.explain(error))
                ])
        } else {
            abandoned = try await queue.abandon(effect, owner: owner, error: text)
        }
        guard abandoned else { return }
        metrics?.counter(
            "side_effects_abandoned", help: "GitHub side effects given up, by kind and reason (refused or patience).",
            labels: [("kind", effect.kind), ("reason", reason.rawValue)]
        ).increment()
    }

    /// Runs `work` while renewing `effect`'s lease every third of it. When the lease turns out lost
    /// (it ran out and another deliverer claimed the effect), `work` is cancelled and `LeaseLost`
    /// thrown. A renewal the database could not answer is tried again at the next third.
    func keepingLease(_ effect: PendingSideEffect, _ work: @escaping @Sendable () async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                try await work()
                return true
            }
            group.addTask { [queue, owner, lease, logger] in
                while true {
                    try await Task.sleep(for: lease / 3)
                    do {
                        guard try await queue.extend(effect, owner: owner, lease: lease) else { throw LeaseLost() }
                    } catch let error where !(error is LeaseLost) && !(error is CancellationError) {
                        logger.warning(
                            "could not renew a side effect's lease", metadata: ["error": "\(String(reflecting: error))"]
                        )
                    }
                }
            }
            defer { group.cancelAll() }
            _ = try await group.next()
        }
    }

    /// Carries out one claimed side effect on GitHub and returns what GitHub answered (JSON text).
    public func deliver(_ pending: PendingSideEffect) async throws -> String {
        let installation = Int(pending.installationID)
        switch try SideEffect(kind: pending.kind, payload: pending.payload) {
        case .createComment(let request):
            let (owner, repo) = try Self.split(request.repositoryFullName)
            if let audience = request.audience,
                let withheld = try await withhold(
                    request, for: audience, key: pending.dedupeKey, installation: installation, owner: owner,
                    repo: repo)
            {
                return withheld
            }
            let marker = Self.marker(pending.dedupeKey)
            if pending.attempts > 1,
                let existing = try await ownComment(
                    marked: marker, installation: installation, owner: owner, repo: repo, issue: request.issueNumber)
            {
                return #"{"comment_id":\#(existing.id),"found":true}"#
            }
            let comment = try await github.createIssueComment(
                installationID: installation, owner: owner, repo: repo, issue: request.issueNumber,
                body: request.body + "\n\n" + marker)
            return #"{"comment_id":\#(comment.id)}"#
        case .statusComment(let request):
            return try await deliverStatusComment(request, pending, installation: installation)
        case .updateComment(let edit):
            let (owner, repo) = try Self.split(edit.repositoryFullName)
            _ = try await github.updateIssueComment(
                installationID: installation, owner: owner, repo: repo, commentID: Int(edit.commentID), body: edit.body)
            return #"{"comment_id":\#(edit.commentID)}"#
        case .addReaction(let reaction):
            let (owner, repo) = try Self.split(reaction.repositoryFullName)
            guard let content = GitHubReactionContent(rawValue: reaction.content) else {
                throw SideEffectError.malformed("reaction \(reaction.content)")
            }
            let created =
                reaction.subject == .reviewComment
                ? try await github.addReviewCommentReaction(
                    installationID: installation, owner: owner, repo: repo, commentID: Int(reaction.commentID),
                    content: content)
                : try await github.addReaction(
                    installationID: installation, owner: owner, repo: repo, commentID: Int(reaction.commentID),
                    content: content)
            return created.id.map { #"{"reaction_id":\#($0)}"# } ?? "{}"
        case .setLabels(let change):
            let (owner, repo) = try Self.split(change.repositoryFullName)
            for label in change.remove {
                do {
                    try await github.removeLabel(
                        installationID: installation, owner: owner, repo: repo, issue: change.issueNumber, label: label)
                } catch let error as APIError where error.statusCode == 404 {
                    // Already absent: removing is done.
                }
            }
            if !change.add.isEmpty {
                _ = try await github.addLabels(
                    installationID: installation, owner: owner, repo: repo, issue: change.issueNumber,
                    labels: change.add)
            }
            return "{}"
        case .openPullRequest(let order):
            let pull = try await openPullRequest(order, pending)
            return String(decoding: try JSONEncoder().encode(pull), as: UTF8.self)
        case .appendFollowUpLog(let entry):
            return try await appendFollowUpLog(entry, installation: installation)
        }
    }

    /// Adds a follow-up's line to its pull request's description unless its marker is there already (a
    /// retried delivery whose first edit landed). A person's edit made between the read and the write
    /// is lost: GitHub has no conditional update of a description.
    func appendFollowUpLog(_ entry: FollowUpLogEntry, installation: Int) async throws -> String {
        let (owner, repo) = try Self.split(entry.repositoryFullName)
        let pull = try await github.pullRequest(
            installationID: installation, owner: owner, repo: repo, number: entry.pullNumber)
        guard let body = FollowUpLog.appending(entry, to: pull.body) else {
            return #"{"pull_request":\#(entry.pullNumber),"found":true}"#
        }
        try await github.updatePullRequestBody(
            installationID: installation, owner: owner, repo: repo, number: entry.pullNumber, body: body)
        return #"{"pull_request":\#(entry.pullNumber)}"#
    }

    /// Opens a finished task's pull request, or finds the one an earlier try opened (its answer lost,
    /// or its deliverer gone before recording it), and labels it.
    func openPullRequest(_ order: PullRequestOrder, _ pending: PendingSideEffect) async throws -> OpenedPullRequest {
        let installation = Int(pending.installationID)
        let (owner, repo) = try Self.split(order.repositoryFullName)
        var found: GitHubPullRequest?
        if pending.attempts > 1 {
            found = try await github.existingPullRequest(
                installationID: installation, owner: owner, repo: repo, head: "\(owner):\(order.pull.head)",
                base: order.pull.base)
        }
        let pull: GitHubPullRequest
        if let found {
            pull = found
        } else {
            if let reported = order.headSHA {
                let tip = try await github.branchHead(
                    installationID: installation, owner: owner, repo: repo, branch: order.pull.head)
                // A report may name the commit by an abbreviation.
                guard let tip, tip.lowercased().hasPrefix(reported.lowercased()) else {
                    throw BranchNotAtReportedHead(
                        branch: order.pull.head, tip: tip, reported: reported,
                        final: pending.attempts >= Self.headChecks)
                }
            }
            pull = try await github.createPullRequest(
                installationID: installation, owner: owner, repo: repo, order.pull)
        }
        if !order.labels.isEmpty {
            // The PR is what matters; labels it could not get are not worth a false "could not open".
            do {
                _ = try await github.addLabels(
                    installationID: installation, owner: owner, repo: repo, issue: pull.number, labels: order.labels)
            } catch {
                logger.warning(
                    "pull request opened but not labelled",
                    metadata: ["pull_request": "\(pull.number)", "error": "\(String(reflecting: error))"])
            }
        }
        let merged = pull.merged == true || pull.mergedAt != nil
        return OpenedPullRequest(
            number: pull.number, url: pull.htmlUrl, draft: pull.draft ?? order.pull.draft,
            state: merged ? .merged : pull.state == "closed" ? .closed : .open, closedAt: pull.closedAt,
            mergedAt: pull.mergedAt)
    }

    /// How many tries see a branch whose tip is not the reported commit before the pull request is
    /// given up: a read just after the push may lag behind it.
    static let headChecks = 3

    /// GitHub's refusal in a sentence fit for an issue comment.
    static func explain(_ error: any Error) -> String {
        if let error = error as? BranchNotAtReportedHead { return error.description }
        guard let error = error as? APIError, case .status(let code, _, _, let body, _) = error else {
            return "GitHub did not answer."
        }
        struct Message: Decodable { var message: String }
        guard let message = try? JSONDecoder().decode(Message.self, from: Data(body.utf8)).message else {
            return "GitHub answered \(code)."
        }
        return "GitHub answered \(code): \(PromptBuilder.sanitize(message, limit: 300))"
    }

    /// Edits the comment an earlier delivery posted, or one found by its marker (an answer lost on
    /// the way back), and posts it only when neither exists.
    func deliverStatusComment(
        _ request: CommentRequest, _ pending: PendingSideEffect, installation: Int
    ) async throws -> String {
        let (owner, repo) = try Self.split(request.repositoryFullName)
        let marker = Self.marker(pending.dedupeKey)
        let body = request.body + "\n\n" + marker
        if let known = pending.previousResult.flatMap(Self.commentID(inResult:)) {
            do {
                _ = try await github.updateIssueComment(
                    installationID: installation, owner: owner, repo: repo, commentID: Int(known), body: body)
                return #"{"comment_id":\#(known)}"#
            } catch let error as APIError where error.statusCode == 404 {
                // Someone deleted the status comment: the task still gets one, posted anew below.
                logger.info("status comment was deleted; posting it again", metadata: ["comment_id": "\(known)"])
            }
        } else if let found = try await ownComment(
            marked: marker, installation: installation, owner: owner, repo: repo, issue: request.issueNumber)
        {
            _ = try await github.updateIssueComment(
                installationID: installation, owner: owner, repo: repo, commentID: found.id, body: body)
            return #"{"comment_id":\#(found.id)}"#
        }
        let comment = try await github.createIssueComment(
            installationID: installation, owner: owner, repo: repo, issue: request.issueNumber, body: body)
        return #"{"comment_id":\#(comment.id)}"#
    }

    static func commentID(inResult json: String) -> Int64? {
        struct Answer: Decodable { var commentId: Int64? }
        return (try? JSONDecoder.api.decode(Answer.self, from: Data(json.utf8)))?.commentId
    }

    static func split(_ fullName: String) throws -> (String, String) {
        guard let parts = IssueReference.ownerAndName(fullName) else {
            throw SideEffectError.malformed("repository \(fullName)")
        }
        return parts
    }

    /// Invisible in rendered Markdown; finds a comment again after a lost answer.
    /// The first comment on the issue that carries `marker` and that the App itself wrote. Anyone can
    /// type a marker: one in a person's comment (or one they made through the App with their own
    /// token) must not make Porter skip its reply or edit what the person wrote.
    func ownComment(
        marked marker: String, installation: Int, owner: String, repo: String, issue: Int
    ) async throws -> GitHubIssueComment? {
        let comments = try await github.issueComments(
            installationID: installation, owner: owner, repo: repo, issue: issue
        ).filter { $0.body.contains(marker) }
        guard !comments.isEmpty else { return nil }
        let login = try await botLogin.value(github)
        return comments.first { $0.user.login.lowercased() == login.lowercased() && $0.user.type == "Bot" }
    }

    static func marker(_ dedupeKey: String) -> String {
        "<!-- porter:\(dedupeKey.replacingOccurrences(of: "--", with: "-")) -->"
    }
}

/// Another deliverer holds the effect now.
struct LeaseLost: Error {}

enum SideEffectError: Error, CustomStringConvertible {
    case unknownKind(String)
    case malformed(String)

    var description: String {
        switch self {
        case .unknownKind(let kind): "unknown side effect kind \(kind)"
        case .malformed(let what): "malformed side effect: \(what)"
        }
    }
}

/// The App's login as GitHub shows it on what the App writes, `<slug>[bot]`, asked of GitHub once.
final class AppLogin: Sendable {
    private let known = Mutex<String?>(nil)

    func value(_ github: GitHubClient) async throws -> String {
        if let login = known.withLock({ $0 }) { return login }
        guard let slug = try await github.authenticatedApp().slug else { throw GitHubError.appWithoutSlug }
        let login = "\(slug)[bot]"
        known.withLock { $0 = login }
        return login
    }
}

/// The task's branch is not at the commit its worker reported: something else was pushed there, or
/// nothing was. No pull request is opened from a head Porter did not see its worker make.
struct BranchNotAtReportedHead: Error, ClassifiedError, CustomStringConvertible {
    var branch: String
    /// Where the branch is; nil when it does not exist.
    var tip: String?
    var reported: String
    /// Whether this try was the last: before, GitHub may only be slow to show the push.
    var final: Bool

    var failure: Failure { final ? .permanent : .transient }

    var description: String {
        let name = AgentLine.inlineCode(branch, limit: 300) ?? "``"
        guard let tip else {
            return "the branch \(name) does not exist, so the worker's commit \(reported.prefix(7)) is not on it."
        }
        return "the branch \(name) is at \(tip.prefix(7)), not at the commit \(reported.prefix(7)) the worker reported."
    }
}
