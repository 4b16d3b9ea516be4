import Foundation
import HTTPTypes
import Hummingbird
import Logging
import PorterKit

/// `/review`: the open pull requests Porter opened, ready ones first, and `/review/<task id>`, one of
/// them with its diff, checks and the reviewer's actions. Everything on GitHub is read and done with
/// the signed-in person's own token, so GitHub applies their permission; Porter checks it first only
/// to show the actions they may take.
struct ReviewController {
    let pages: Pages
    let store: PostgresReviewStore
    let gitHub: UserGitHub
    let tasks: TasksController
    let visibility: TaskVisibility
    let intake: PostgresTaskIntake
    let signals: ReviewSignalsCache
    let mention: MentionScanner
    let logger: Logger

    /// The queue shows at most this many pull requests, newest first before sorting.
    static let queueLimit = 100
    /// GitHub is asked about this many pull requests at once.
    static let concurrentReads = 6

    var github: GitHubClient { gitHub.github }

    func add(to router: Router<WebContext>) {
        router.get("/review") { _, context in
            let user = try context.requireUser()
            let items = try await queue(user)
            return pages.render(
                "review", ReviewQueueView(page: Chrome(title: "Review", user: user, section: .review), items: items))
        }
        router.get("/api/review") { _, context in
            let user = try context.requireUser()
            return JSONAnswer.make(["pullRequests": try await queue(user).map(\.json)])
        }
        router.get("/review/:id") { request, context in
            let user = try context.requireUser()
            let query = request.uri.queryParameters
            let outcome = query.get("done").flatMap(ReviewPageView.Outcome.init(rawValue:))
            return try await page(user, context, split: query.get("view") == "split", outcome: outcome)
        }
        router.get("/api/review/:id") { _, context in
            let user = try context.requireUser()
            let review = try await load(user, context)
            return JSONAnswer.make(ReviewJSON(review))
        }
        for action in ReviewAction.allCases {
            router.post("/review/:id/\(action.rawValue)") { request, context in
                let user = try context.requireUser()
                let form = try await Form.read(request)
                do {
                    let done = try await perform(action, user, context, fields: ReviewFields(form: form))
                    var target = "/review/\(try taskID(context).uuidString.lowercased())?done=\(done.outcome.rawValue)"
                    if let task = done.followUp { target += "&task=\(task.uuidString.lowercased())" }
                    return Response.redirect(to: target, type: .normal)
                } catch let problem as WebError where problem != .unauthorized && problem != .notFound {
                    var response = try await page(
                        user, context, split: false, outcome: nil, problem: problem.message,
                        failed: (action, ReviewFields(form: form)))
                    response.status = problem.status
                    return response
                }
            }
            router.on("/api/review/:id/\(action.rawValue)", method: action.apiMethod) { request, context in
                let user = try context.requireUser()
                let body = try await JSONValue.object(request, limit: 256 * 1024)
                let done = try await perform(action, user, context, fields: try ReviewFields(json: body))
                return JSONAnswer.make(
                    ActionJSON(
                        outcome: done.outcome.rawValue, followUpTaskId: done.followUp?.uuidString.lowercased(),
                        sha: done.sha),
                    status: action == .changes ? .created : .ok)
            }
        }
    }

    // MARK: reading

    /// The open pull requests the person may see, each with what GitHub says of it now.
    func queue(_ user: SignedInUser) async throws -> [ReviewQueueView.Item] {
        let repositories = try await visibility.repositories(of: user)
        let open = try await store.open(userID: user.id, repositories: repositories, limit: Self.queueLimit)
        let token = try await gitHub.token(for: user)
        var read: [(Int, ReviewSignals?, String?)] = []
        try await withThrowingTaskGroup(of: (Int, ReviewSignals?, String?).self) { group in
            var next = 0
            func start() {
                guard next < open.count else { return }
                let index = next
                let pull = open[index]
                next += 1
                group.addTask { await signals(user, token: token, pull, index: index) }
            }
            for _ in 0..<Self.concurrentReads { start() }
            while let answer = try await group.next() {
                read.append(answer)
                start()
            }
        }
        let items = read.compactMap { index, signals, problem -> ReviewQueueView.Item? in
            // GitHub says it was merged or closed and the event has not arrived yet: not for review.
            if let signals, signals.pull.state != "open" { return nil }
            return ReviewQueueView.Item(open[index], signals: signals, problem: problem)
        }
        return items.sorted { ($0.rank, $0.openedAt) < ($1.rank, $1.openedAt) }
    }

    func signals(
        _ user: SignedInUser, token: String, _ pull: ReviewedPullRequest, index: Int
    ) async -> (Int, ReviewSignals?, String?) {
        if let cached = await signals.signals(userID: user.id, task: pull.taskID) { return (index, cached, nil) }
        guard let (owner, repo) = IssueReference.ownerAndName(pull.repository) else {
            return (index, nil, "Not a repository name.")
        }
        do {
            let read = try await ReviewSignals.read(github, token: token, owner: owner, repo: repo, number: pull.number)
            await signals.keep(read, userID: user.id, task: pull.taskID)
            return (index, read, nil)
        } catch let error as APIError where error.statusCode == 404 {
            return (index, nil, "GitHub shows you no pull request #\(pull.number) there.")
        } catch {
            logger.warning(
                "review queue read failed",
                metadata: ["task_id": "\(pull.taskID)", "error": "\(String(reflecting: error))"])
            return (index, nil, "GitHub did not answer for this pull request.")
        }
    }

    /// Everything the page shows, read as the person.
    struct Loaded {
        var pull: ReviewedPullRequest
        var permission: GitHubPermission
        var signals: ReviewSignals
        var files: [GitHubPullRequestFile]
        var repository: GitHubRepository?
        var summary: String?
        var followUps: [(id: UUID, status: TaskStatus, createdAt: Date)]
    }

    func taskID(_ context: WebContext) throws -> UUID {
        guard let text = context.parameters.get("id"), let id = UUID(uuidString: text) else { throw WebError.notFound }
        return id
    }

    /// The task's pull request when the person may see its repository (or asked for the task), with
    /// their permission there. Anyone else gets a 404, as for the task page.
    func visible(_ user: SignedInUser, _ context: WebContext) async throws -> (ReviewedPullRequest, GitHubPermission) {
        guard let pull = try await store.pullRequest(taskID: try taskID(context)) else { throw WebError.notFound }
        let permission = try await tasks.permission(
            of: user, installationID: pull.installationID, repository: pull.repository)
        guard permission != .none || pull.requesterID == user.id else { throw WebError.notFound }
        return (pull, permission)
    }

    func load(_ user: SignedInUser, _ context: WebContext) async throws -> Loaded {
        let (pull, permission) = try await visible(user, context)
        guard let (owner, repo) = IssueReference.ownerAndName(pull.repository) else { throw WebError.notFound }
        return try await gitHub.call(user) { token in
            let credential = GitHubClient.Credential.user(token: token)
            let signals: ReviewSignals
            do {
                signals = try await ReviewSignals.read(
                    github, token: token, owner: owner, repo: repo, number: pull.number)
            } catch let error as APIError where error.statusCode == 404 {
                throw WebError(
                    status: .notFound, code: "not_found",
                    message: "GitHub shows you no pull request #\(pull.number) in \(pull.repository).")
            }
            await self.signals.keep(signals, userID: user.id, task: pull.taskID)
            async let files = github.pullRequestFiles(as: credential, owner: owner, repo: repo, number: pull.number)
            async let repository = try? github.repository(as: credential, owner: owner, repo: repo)
            return Loaded(
                pull: pull, permission: permission, signals: signals, files: try await files,
                repository: await repository,
                summary: try await store.summary(taskID: pull.taskID),
                followUps: try await store.followUps(of: pull.taskID))
        }
    }

    func page(
        _ user: SignedInUser, _ context: WebContext, split: Bool, outcome: ReviewPageView.Outcome?,
        problem: String? = nil, failed: (ReviewAction, ReviewFields)? = nil
    ) async throws -> Response {
        let loaded = try await load(user, context)
        var view = ReviewPageView(
            page: Chrome(
                title: "Review · \(loaded.pull.repository)#\(loaded.pull.number)", user: user, section: .review),
            loaded: loaded, split: split, outcome: outcome, problem: problem)
        if let (action, fields) = failed {
            view.typedBody = fields.values["body"] ?? ""
            view.typedReason = fields.values["reason"] ?? ""
            view.changesOpen = action == .changes
            view.closeOpen = action == .close
        }
        return pages.render("review-pull", view)
    }

    // MARK: acting

    struct Done {
        var outcome: ReviewPageView.Outcome
        var followUp: UUID?
        var sha: String?
    }

    func perform(
        _ action: ReviewAction, _ user: SignedInUser, _ context: WebContext, fields: ReviewFields
    )
        async throws -> Done
    {
        let (pull, permission) = try await visible(user, context)
        guard permission.canWrite else {
            throw WebError(
                status: .forbidden, code: "forbidden",
                message: "\(action.verb) needs write, maintain or admin permission on \(pull.repository).")
        }
        guard pull.state == "open" else {
            throw WebError(status: .conflict, code: "not_open", message: "This pull request is \(pull.state).")
        }
        guard let (owner, repo) = IssueReference.ownerAndName(pull.repository) else { throw WebError.notFound }
        // What the queue knew of it is about to change.
        await signals.forget(userID: user.id, task: pull.taskID)
        let token = try await gitHub.token(for: user)
        let credential = GitHubClient.Credential.user(token: token)
        do {
            switch action {
            case .ready:
                let read = try await github.pullRequest(as: credential, owner: owner, repo: repo, number: pull.number)
                guard read.draft == true else {
                    throw WebError(status: .conflict, code: "not_draft", message: "This pull request is not a draft.")
                }
                guard let node = read.nodeId else {
                    throw WebError.upstream("GitHub gave no id for this pull request.")
                }
                try await github.markReadyForReview(as: credential, pullRequestNodeID: node)
                return Done(outcome: .ready)
            case .merge:
                let method = try fields.method()
                let sha = try fields.headSHA()
                let merged = try await github.mergePullRequest(
                    as: credential, owner: owner, repo: repo, number: pull.number, sha: sha, method: method)
                logger.info(
                    "pull request merged from the review page",
                    metadata: ["task_id": "\(pull.taskID)", "user_id": "\(user.id)", "method": "\(method.rawValue)"])
                return Done(outcome: .merged, sha: merged.sha)
            case .close:
                let reason = try fields.text(
                    "reason", limit: 10_000, missing: "Say why it is closed: the reason goes on the pull request.")
                // Closed first: someone GitHub will not let close it leaves no comment saying it was.
                try await github.closePullRequest(as: credential, owner: owner, repo: repo, number: pull.number)
                try await store.recordRejection(taskID: pull.taskID, by: user.login, reason: reason)
                do {
                    _ = try await github.createIssueComment(
                        as: credential, owner: owner, repo: repo, issue: pull.number,
                        body: "Closed from Porter's review by @\(user.login):\n\n" + Self.quoted(reason))
                } catch let error as APIError {
                    logger.notice(
                        "reason not commented after close",
                        metadata: ["task_id": "\(pull.taskID)", "status": "\(error.statusCode ?? 0)"])
                    return Done(outcome: .closedWithoutComment)
                }
                if fields.deleteBranch, let branch = pull.branch {
                    do {
                        try await github.deleteBranch(as: credential, owner: owner, repo: repo, branch: branch)
                    } catch let error as APIError {
                        logger.notice(
                            "branch not deleted after close",
                            metadata: ["task_id": "\(pull.taskID)", "status": "\(error.statusCode ?? 0)"])
                        return Done(outcome: .closedBranchKept)
                    }
                }
                return Done(outcome: .closed)
            case .changes:
                return try await requestChanges(user, pull, credential: credential, fields: fields)
            }
        } catch let error as APIError {
            throw Self.refusal(error, action: action, repository: pull.repository)
        } catch let error as GitHubError {
            if case .graphQL(let type, let message) = error {
                throw WebError(
                    status: type == "FORBIDDEN" ? .forbidden : type == "NOT_FOUND" ? .notFound : .badGateway,
                    code: "github_refused", message: "GitHub refused: \(message)")
            }
            throw WebError.upstream("GitHub could not do it: \(error)")
        }
    }

    /// Submits the reviewer's text and line notes as a "request changes" review on the commit they saw,
    /// then starts a follow-up on the pull request with the agent that opened it, through the same
    /// intake as an `@porter` comment on a review: the dispatcher reads the notes from the review.
    func requestChanges(
        _ user: SignedInUser, _ pull: ReviewedPullRequest, credential: GitHubClient.Credential, fields: ReviewFields
    ) async throws -> Done {
        let text = try fields.text("body", limit: 20_000, missing: "Say what to change: the agent gets your text.")
        let sha = try fields.headSHA()
        let requestID = try fields.requestID()
        // The same form sent twice: its task, and no second review.
        if let earlier = try await intake.existing(requestID: requestID, requesterID: user.id) {
            return Done(outcome: .changesRequested, followUp: earlier.taskID)
        }
        guard let (owner, repo) = IssueReference.ownerAndName(pull.repository) else { throw WebError.notFound }
        // Quoted, the text never reads as a command to Porter when GitHub sends the review back.
        let notes = try fields.notes().map { note in
            NewReview.LineComment(
                path: note.path, line: note.line, side: note.side,
                body: mention.scan(note.body) == nil ? note.body : Self.quoted(note.body))
        }
        let review = try await github.createReview(
            as: credential, owner: owner, repo: repo, number: pull.number,
            NewReview(
                commitId: sha, body: "Changes requested through Porter by @\(user.login):\n\n" + Self.quoted(text),
                event: "REQUEST_CHANGES", comments: notes))
        let order = TaskOrder(
            context: IssueContext(
                issue: IssueReference(
                    installationID: pull.installationID, repositoryID: pull.repositoryID,
                    repositoryFullName: pull.repository, number: pull.number, isPullRequest: true),
                requester: Requester(id: user.id, login: user.login), commentID: review.id, commentKind: .review),
            options: RunOptions(agent: Agent(rawValue: pull.agent), model: pull.model, instructions: text),
            followUp: FollowUpRequest(source: .review, reviewID: review.id))
        let receipt = try await intake.start(order, requestID: requestID)
        logger.info(
            "changes requested from the review page",
            metadata: [
                "task_id": "\(pull.taskID)", "follow_up": "\(receipt.taskID.uuidString.lowercased())",
                "review_id": "\(review.id)", "notes": "\(notes.count)",
            ])
        return Done(outcome: .changesRequested, followUp: receipt.taskID)
    }

    static func quoted(_ text: String) -> String {
        text.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
            .map { "> " + $0 }.joined(separator: "\n")
    }

    /// GitHub's refusal as the person should read it, with GitHub's own reason.
    static func refusal(_ error: APIError, action: ReviewAction, repository: String) -> WebError {
        let reason = error.gitHubMessage.map { "GitHub says: “\($0)”" } ?? "GitHub refused."
        switch error.statusCode {
        case 409 where action == .merge:
            return WebError(
                status: .conflict, code: "head_moved",
                message:
                    "Not merged: a commit was pushed after you loaded this page. \(reason) Review the new commits first."
            )
        case 405 where action == .merge:
            return WebError(status: .conflict, code: "not_mergeable", message: "Not merged. \(reason)")
        case 403:
            return WebError(
                status: .forbidden, code: "forbidden",
                message: "\(action.verb) was refused on \(repository). \(reason)")
        case 404:
            return WebError(
                status: .notFound, code: "not_found", message: "GitHub shows you no such pull request. \(reason)")
        case 422:
            return WebError(
                status: .unprocessableContent, code: "github_invalid", message: "\(action.verb) failed. \(reason)")
        default:
            return WebError.upstream("GitHub answered \(error.statusCode.map(String.init) ?? "nothing"); try again.")
        }
    }
}

/// What a reviewer can do from the page.
enum ReviewAction: String, CaseIterable, Sendable {
    case ready, merge, close, changes

    var apiMethod: HTTPRequest.Method { self == .changes ? .post : .put }

    var verb: String {
        switch self {
        case .ready: "Marking ready for review"
        case .merge: "Merging"
        case .close: "Closing"
        case .changes: "Requesting changes"
        }
    }
}

/// An action's fields, from a form or a JSON body.
struct ReviewFields {
    struct Note: Equatable {
        var path: String
        var line: Int
        var side: String
        var body: String
    }

    var values: [String: String] = [:]
    var noteList: [Note]?
    var notesText: String?
    var deleteBranch = false

    init(form: Form) {
        for name in ["method", "sha", "reason", "body", "requestId"] { values[name] = form[name] }
        notesText = form["notes"]
        deleteBranch = form["deleteBranch"] == "on" || form["deleteBranch"] == "true"
    }

    init(json: [String: JSONValue]) throws {
        for name in ["method", "sha", "reason", "body", "requestId"] {
            switch json[name] {
            case nil, .null?: break
            case .string(let text)?: values[name] = text
            default: throw WebError.invalid("`\(name)` must be a string.", code: "invalid_\(name)")
            }
        }
        switch json["deleteBranch"] {
        case nil, .null?: break
        case .bool(let flag)?: deleteBranch = flag
        default: throw WebError.invalid("`deleteBranch` must be true or false.", code: "invalid_deleteBranch")
        }
        switch json["notes"] {
        case nil, .null?: noteList = []
        case .array(let items)?: noteList = try items.map(Self.note)
        default: throw WebError.invalid("`notes` must be a list.", code: "invalid_notes")
        }
    }

    static func note(_ value: JSONValue) throws -> Note {
        guard case .object(let fields) = value, let path = fields["path"]?.string, !path.isEmpty,
            case .int(let line)? = fields["line"], line > 0, let body = fields["body"]?.string
        else {
            throw WebError.invalid(
                "Each note needs a `path`, a positive `line` and a `body`.", code: "invalid_notes")
        }
        let side = fields["side"]?.string ?? "RIGHT"
        guard side == "RIGHT" || side == "LEFT" else {
            throw WebError.invalid("A note's `side` is RIGHT (new code) or LEFT (old).", code: "invalid_notes")
        }
        let text = body.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty, text.count <= 10_000, path.utf8.count <= 1_024 else {
            throw WebError.invalid("A note's text is 1 to 10,000 characters long.", code: "invalid_notes")
        }
        return Note(path: path, line: line, side: side, body: text)
    }

    func notes() throws -> [Note] {
        if let noteList { return noteList }
        guard let notesText, !notesText.trimmingCharacters(in: .whitespaces).isEmpty else { return [] }
        guard case .array(let items)? = try? JSONDecoder().decode(JSONValue.self, from: Data(notesText.utf8)) else {
            throw WebError.invalid("The line notes could not be read.", code: "invalid_notes")
        }
        guard items.count <= 100 else { throw WebError.invalid("At most 100 line notes.", code: "invalid_notes") }
        return try items.map(Self.note)
    }

    func method() throws -> GitHubMergeMethod {
        guard let method = GitHubMergeMethod(rawValue: values["method"] ?? "merge") else {
            throw WebError.invalid("`method` is merge, squash or rebase.", code: "invalid_method")
        }
        return method
    }

    /// The head commit the reviewer saw: what is merged, or what changes are asked of.
    func headSHA() throws -> String {
        guard let sha = values["sha"]?.lowercased(), sha.count == 40, sha.allSatisfy(\.isHexDigit) else {
            throw WebError.invalid(
                "`sha` must be the 40-character head commit you reviewed, so nothing pushed since is merged unseen.",
                code: "invalid_sha")
        }
        return sha
    }

    func requestID() throws -> UUID {
        guard let text = values["requestId"], let id = UUID(uuidString: text) else {
            throw WebError.invalid("`requestId` must be a UUID, new for each request.", code: "invalid_requestId")
        }
        return id
    }

    /// A required text field, trimmed; `missing` is the message when it is empty.
    func text(_ name: String, limit: Int, missing: String) throws -> String {
        let text = (values[name] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw WebError.invalid(missing, code: "invalid_\(name)") }
        guard text.count <= limit else {
            throw WebError.invalid("`\(name)` is at most \(limit) characters.", code: "invalid_\(name)")
        }
        return text
    }
}

struct ActionJSON: Encodable {
    var outcome: String
    var followUpTaskId: String?
    var sha: String?
}
