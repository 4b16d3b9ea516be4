import Foundation

/// Decides what a verified delivery means. Pure: no database, no network, so every rule is a unit test.
public struct WebhookInterpreter: Sendable {
    let parser: CommandParser
    let appSlug: String?
    /// Bot accounts whose commands count, lower case (`PORTER_ALLOWED_BOTS`); Porter's own never does.
    let allowedBots: Set<String>
    /// `PORTER_HELP_FOR_EVERYONE`: `help` is answered for commenters without write access too (within
    /// their one reply per issue per day); by default only for those who may run tasks.
    let helpForEveryone: Bool

    /// - Parameter demoAgent: `PORTER_DEMO_AGENT`: commands may name the built-in `demo` agent.
    public init(
        mention: String, appSlug: String?, allowedBots: Set<String> = [], helpForEveryone: Bool = false,
        demoAgent: Bool = false
    ) {
        parser = CommandParser(mention: mention, demoAgent: demoAgent)
        self.appSlug = appSlug?.lowercased()
        self.allowedBots = Set(allowedBots.map { $0.lowercased() })
        self.helpForEveryone = helpForEveryone
    }

    public func interpret(event: String, payload: WebhookPayload.Envelope) -> DeliveryEffect {
        switch (event, payload.action) {
        case ("ping", _): .pong
        case ("issue_comment", "created"): comment(payload)
        case ("issue_comment", let action): .ignore(reason: "issue_comment.\(action ?? "unknown") is not a command")
        case ("pull_request_review_comment", "created"): reviewComment(payload)
        case ("pull_request_review", "submitted"): review(payload)
        case ("pull_request_review_comment", let action), ("pull_request_review", let action):
            .ignore(reason: "\(event).\(action ?? "unknown") is not a command")
        case ("issues", "closed"): issueClosed(payload)
        case ("installation", _), ("installation_repositories", _): installation(event: event, payload)
        case ("pull_request", let action?) where Self.pullRequestActions.contains(action): pullRequest(action, payload)
        default: .ignore(reason: "event \(event).\(payload.action ?? "-") is not handled")
        }
    }

    /// What a payload that could not be decoded means: a `pull_request` event is refused, so it is not
    /// lost; for other events nothing Porter acts on could be read, and that is recorded.
    public func unreadable(event: String, problem: String) -> DeliveryEffect {
        event == "pull_request"
            ? .reject(reason: "pull_request payload: \(problem)")
            : .ignore(reason: "payload does not have the shape of a \(event) event")
    }

    private func comment(_ payload: WebhookPayload.Envelope) -> DeliveryEffect {
        guard let comment = payload.comment, let issue = payload.issue, let repository = payload.repository
        else { return .ignore(reason: "comment payload lacks comment, issue or repository") }
        guard let installation = payload.installation else { return .ignore(reason: "no installation") }
        guard let author = comment.user ?? payload.sender else { return .ignore(reason: "comment has no author") }
        if isBot(author, viaApp: comment.performedViaGithubApp != nil) { return .ignore(reason: "comment by a bot") }
        let onPullRequest = issue.pullRequest != nil
        let context = IssueContext(
            issue: IssueReference(
                installationID: installation.id, repositoryID: repository.id, repositoryFullName: repository.fullName,
                number: issue.number, isPullRequest: onPullRequest),
            requester: Requester(id: author.id, login: author.login), commentID: comment.id,
            commentKind: .issueComment)
        // A run command on a pull request's conversation is a follow-up on that pull request.
        return command(
            comment.body ?? "", context,
            followUp: onPullRequest ? FollowUpRequest(source: .conversation, commentID: comment.id) : nil)
    }

    /// What a command in `body` asks for, made in `context`; a run command on a pull request carries
    /// `followUp`.
    func command(_ body: String, _ context: IssueContext, followUp: FollowUpRequest?) -> DeliveryEffect {
        switch parser.parse(body) {
        case .noMention:
            return .ignore(reason: "no mention")
        case .invalid(let problems):
            return .reply(
                context, body: Replies.invalidCommand(problems, mention: parser.scanner.mention),
                outsiders: .oncePerDay)
        case .command(.control(.help)):
            return .reply(
                context, body: Replies.help(mention: parser.scanner.mention, demoAgent: parser.demoAgent),
                outsiders: helpForEveryone ? .oncePerDay : .none)
        case .command(.control(let verb)):
            return .control(verb, context)
        case .command(.run(let options)):
            return .startTask(TaskOrder(context: context, options: options, followUp: followUp))
        }
    }

    /// Bots, what an App posted, and Porter's own App (by its slug) never command Porter.
    /// A bot, or a person acting through some App, is ignored unless the operator allowed that
    /// account; Porter's own bot is ignored always, so it can never command itself.
    func isBot(_ author: WebhookPayload.Account, viaApp: Bool) -> Bool {
        let login = author.login.lowercased()
        if appSlug.map({ login == "\($0)[bot]" }) == true { return true }
        guard viaApp || author.type?.lowercased() == "bot" || login.hasSuffix("[bot]") else { return false }
        return !allowedBots.contains(login)
    }

    private func issueClosed(_ payload: WebhookPayload.Envelope) -> DeliveryEffect {
        guard let issue = payload.issue, let repository = payload.repository, let installation = payload.installation,
            let sender = payload.sender
        else { return .ignore(reason: "issues.closed payload lacks issue, repository or installation") }
        return .issueClosed(
            IssueContext(
                issue: IssueReference(
                    installationID: installation.id, repositoryID: repository.id,
                    repositoryFullName: repository.fullName, number: issue.number,
                    isPullRequest: issue.pullRequest != nil),
                requester: Requester(id: sender.id, login: sender.login), commentID: nil))
    }

    private func installation(event: String, _ payload: WebhookPayload.Envelope) -> DeliveryEffect {
        guard let installation = payload.installation else { return .ignore(reason: "no installation") }
        let kind: InstallationChange.Kind
        switch (event, payload.action) {
        case ("installation", "deleted"): kind = .deleted
        case ("installation", "suspend"): kind = .suspended
        case ("installation", "created"), ("installation", "unsuspend"), ("installation", "new_permissions_accepted"),
            ("installation_repositories", "added"), ("installation_repositories", "removed"):
            kind = .upsert
        default: return .ignore(reason: "\(event).\(payload.action ?? "-") is not handled")
        }
        let added = (payload.repositories ?? []) + (payload.repositoriesAdded ?? [])
        return .installationChanged(
            InstallationChange(
                installationID: installation.id,
                account: installation.account.map { ($0.id, $0.login, $0.type ?? "User") },
                kind: kind, repositorySelection: installation.repositorySelection,
                added: added.map { ($0.id, $0.fullName, $0.private ?? false) },
                removed: (payload.repositoriesRemoved ?? []).map(\.id)))
    }
}
