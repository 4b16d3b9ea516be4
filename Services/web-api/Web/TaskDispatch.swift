import Foundation
import Logging
import PorterKit

/// Starts a task from the web app the way a comment starts one. Before anything is created, the
/// repository must be one the person reaches through the App (else 404) and GitHub must say they may
/// write there, as the dispatcher will check again (else 403). Then the issue is read, or opened with
/// their own token so it is theirs, and the task and its dispatch job are stored by `TaskIntake`.
struct TaskDispatch: Sendable {
    let gitHub: UserGitHub
    let intake: PostgresTaskIntake
    /// The agents a request may name: the coding agents, and `demo` where the operator turned it on.
    let agents: [Agent]
    let logger: Logger

    var github: GitHubClient { gitHub.github }

    /// What a dispatch did.
    struct Outcome: Sendable {
        var receipt: TaskReceipt
        var repository: String
        var issueNumber: Int
        /// The issue was opened for this request.
        var openedIssue: Bool
    }

    /// A repository the person reaches through one of the App's installations.
    struct Reachable: Sendable {
        var installationID: Int
        var repository: GitHubRepository
    }

    func dispatch(_ user: SignedInUser, _ request: DispatchRequest) async throws -> Outcome {
        let target = try await reachable(user, request.repository)
        let fullName = target.repository.fullName
        try await requireWrite(user, target)
        if let earlier = try await stored(request, user: user) {
            return Outcome(
                receipt: earlier, repository: earlier.repository, issueNumber: earlier.issueNumber, openedIssue: false)
        }
        let issue: GitHubIssue
        let opened: Bool
        switch request.issue {
        case .existing(let number):
            (issue, opened) = (try await openIssue(user, target, number: number), false)
        case .new(let title, let body):
            (issue, opened) = (try await createIssue(user, target, title: title, body: body), true)
        }
        let order = TaskOrder(
            context: IssueContext(
                issue: IssueReference(
                    installationID: Int64(target.installationID), repositoryID: Int64(target.repository.id),
                    repositoryFullName: fullName, number: issue.number, isPullRequest: issue.pullRequest != nil),
                requester: Requester(id: user.id, login: user.login), commentID: nil),
            options: request.options)
        let receipt: TaskReceipt
        do {
            receipt = try await intake.start(order, requestID: request.requestID)
        } catch TaskIntakeError.requestTaken {
            throw Self.requestTaken
        }
        logger.info(
            "task dispatched from the web",
            metadata: [
                "task_id": "\(receipt.taskID.uuidString.lowercased())", "user_id": "\(user.id)",
                "repository": "\(fullName)", "issue": "\(issue.number)", "opened_issue": "\(opened)",
                "waiting_for": "\(receipt.waitingFor.map { $0.id.uuidString.lowercased() } ?? "-")",
            ])
        return Outcome(receipt: receipt, repository: fullName, issueNumber: issue.number, openedIssue: opened)
    }

    /// The repository named `fullName` among those the person reaches through the App's installations;
    /// a 404 for any other, whether it exists or not.
    func reachable(_ user: SignedInUser, _ fullName: String) async throws -> Reachable {
        for (installation, repositories) in try await gitHub.installations(user) {
            if let repository = repositories.first(where: { $0.fullName.lowercased() == fullName.lowercased() }) {
                return Reachable(installationID: installation.id, repository: repository)
            }
        }
        throw WebError(
            status: .notFound, code: "not_found",
            message: "Porter's App reaches no repository \(fullName) for you. Install it there, or ask for access.")
    }

    /// Refuses someone GitHub does not name a writer of the repository, the check the dispatcher makes
    /// for a comment's task (and makes again for this one).
    func requireWrite(_ user: SignedInUser, _ target: Reachable) async throws {
        let permission: GitHubPermission
        do {
            permission = try await github.collaboratorPermission(
                installationID: target.installationID, owner: target.repository.owner.login,
                repo: target.repository.name, user: user.login)
        } catch let error where Failure.isPermanent(error) {
            throw WebError(
                status: .forbidden, code: "forbidden",
                message: "Porter could not confirm that you may write to \(target.repository.fullName).")
        } catch {
            logger.warning("permission check failed", metadata: ["error": "\(String(reflecting: error))"])
            throw WebError.upstream("GitHub could not say whether you may write to this repository; try again.")
        }
        guard permission.canWrite else {
            throw WebError(
                status: .forbidden, code: "forbidden",
                message: """
                    Porter runs tasks only for people with write, maintain or admin permission on \
                    \(target.repository.fullName); you have \(permission.rawValue).
                    """)
        }
    }

    /// The task an earlier copy of this request made.
    func stored(_ request: DispatchRequest, user: SignedInUser) async throws -> TaskReceipt? {
        do {
            return try await intake.existing(requestID: request.requestID, requesterID: user.id)
        } catch TaskIntakeError.requestTaken {
            throw Self.requestTaken
        }
    }

    /// The open issue (or pull request) `number`, as the person sees it.
    func openIssue(_ user: SignedInUser, _ target: Reachable, number: Int) async throws -> GitHubIssue {
        let issue = try await issue(
            user, owner: target.repository.owner.login, repo: target.repository.name, number: number)
        guard issue.state == "open" else {
            throw WebError(
                status: .conflict, code: "issue_closed",
                message:
                    "\(target.repository.fullName)#\(number) is closed. Reopen it on GitHub, or choose an open issue.")
        }
        return issue
    }

    /// Opens an issue with the person's own token, so GitHub shows them as its author.
    func createIssue(
        _ user: SignedInUser, _ target: Reachable, title: String, body: String?
    ) async throws
        -> GitHubIssue
    {
        let (owner, repo) = (target.repository.owner.login, target.repository.name)
        return try await gitHub.call(user) { token in
            do {
                let issue = try await github.createIssue(
                    token: token, owner: owner, repo: repo, title: title, body: body)
                logger.info(
                    "issue opened for a dispatch",
                    metadata: [
                        "user_id": "\(user.id)", "repository": "\(target.repository.fullName)",
                        "issue": "\(issue.number)",
                    ])
                return issue
            } catch let error as APIError where error.statusCode == 410 {
                throw WebError(
                    status: .conflict, code: "issues_disabled",
                    message: "Issues are turned off for \(target.repository.fullName).")
            } catch let error as APIError where error.statusCode == 403 || error.statusCode == 404 {
                throw WebError(
                    status: .forbidden, code: "forbidden",
                    message: "GitHub did not let you open an issue on \(target.repository.fullName).")
            } catch let error as APIError where error.statusCode == 422 {
                throw WebError.badRequest("GitHub refused the new issue: check its title.", code: "invalid_fields")
            }
        }
    }

    /// Issue `number` of `owner/repo` as the person sees it through their token: a 404 when there is
    /// none or they cannot see it.
    func issue(_ user: SignedInUser, owner: String, repo: String, number: Int) async throws -> GitHubIssue {
        try await gitHub.call(user) { token in
            do {
                return try await github.issue(as: .user(token: token), owner: owner, repo: repo, number: number)
            } catch let error as APIError where error.statusCode == 404 || error.statusCode == 410 {
                throw WebError(
                    status: .notFound, code: "issue_not_found", message: "\(owner)/\(repo) has no issue #\(number).")
            }
        }
    }

    /// The open issues of `owner/repo` as the person sees them: a 404 for a repository they or the App
    /// cannot reach.
    func openIssues(_ user: SignedInUser, owner: String, repo: String) async throws -> [GitHubIssue] {
        try await gitHub.call(user) { token in
            do {
                return try await github.openIssues(token: token, owner: owner, repo: repo)
            } catch let error as APIError where error.statusCode == 404 || error.statusCode == 410 {
                throw WebError.notFound
            }
        }
    }

    static let requestTaken = WebError(
        status: .conflict, code: "request_id_taken", message: "That requestId belongs to another request.")
}
