import Foundation

extension WebhookInterpreter {
    /// The `pull_request` actions that change what Porter records of a pull request it opened.
    static let pullRequestActions: Set<String> = ["closed", "reopened", "ready_for_review", "converted_to_draft"]

    /// Why a `pull_request` payload cannot be recorded, in words for GitHub's delivery log.
    struct Refusal: Error {
        var reason: String
    }

    /// Whether the payload belongs to a task is decided in the database (the number Porter recorded
    /// when it opened the pull request); here only its shape. A payload without what the outcome needs
    /// is refused rather than recorded as ignored, so the delivery is not lost.
    func pullRequest(_ action: String, _ payload: WebhookPayload.Envelope) -> DeliveryEffect {
        do {
            return try pullRequestChange(action, payload)
        } catch {
            return .reject(reason: error.reason)
        }
    }

    private func pullRequestChange(
        _ action: String, _ payload: WebhookPayload.Envelope
    ) throws(Refusal) -> DeliveryEffect {
        let lacks = { (what: String) in Refusal(reason: "pull_request.\(action) payload lacks \(what)") }
        guard let repository = payload.repository else { throw lacks("repository") }
        guard let pull = payload.pullRequest else { throw lacks("pull_request") }
        guard let number = pull.number ?? payload.number else { throw lacks("pull_request.number") }
        guard let updatedAt = try Self.time(pull.updatedAt, "updated_at", action) else {
            throw lacks("pull_request.updated_at")
        }
        let closedAt = try Self.time(pull.closedAt, "closed_at", action)
        let mergedAt = try Self.time(pull.mergedAt, "merged_at", action)
        // A pull request from a fork is never one Porter opened: its branches live in the repository.
        if let head = pull.head?.repo, head.id != repository.id {
            return .ignore(reason: "pull request #\(number) comes from a fork")
        }
        let state: PullRequestState
        switch (pull.state, pull.merged ?? (mergedAt != nil)) {
        case ("closed", true): state = .merged
        case ("closed", false): state = .closed
        case ("open", _) where action != "closed": state = .open
        case ("open", _): throw Refusal(reason: "pull_request.closed payload: pull_request.state is open")
        default: throw Refusal(reason: "pull_request.\(action) payload: pull_request.state is neither open nor closed")
        }
        return .pullRequestChanged(
            PullRequestChange(
                action: action, repositoryID: repository.id, number: number, state: state, draft: pull.draft,
                closedAt: state == .open ? nil : closedAt ?? updatedAt,
                mergedAt: state == .merged ? mergedAt ?? closedAt ?? updatedAt : nil, updatedAt: updatedAt))
    }

    static func time(_ text: String?, _ name: String, _ action: String) throws(Refusal) -> Date? {
        guard let text else { return nil }
        guard let time = try? Date.ISO8601FormatStyle().parse(text) else {
            throw Refusal(reason: "pull_request.\(action) payload: pull_request.\(name) is not an ISO 8601 time")
        }
        return time
    }
}
