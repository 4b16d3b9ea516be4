import Foundation

extension WebhookInterpreter {
    /// A comment on lines of a pull request's diff: the same checks and commands as an issue comment,
    /// on the pull request's number; a run command is a follow-up that knows the lines.
    func reviewComment(_ payload: WebhookPayload.Envelope) -> DeliveryEffect {
        guard let comment = payload.comment, let repository = payload.repository,
            let number = payload.pullRequest?.number
        else { return .ignore(reason: "review comment payload lacks comment, pull_request or repository") }
        guard let installation = payload.installation else { return .ignore(reason: "no installation") }
        guard let author = comment.user ?? payload.sender else { return .ignore(reason: "comment has no author") }
        if isBot(author, viaApp: comment.performedViaGithubApp != nil) { return .ignore(reason: "comment by a bot") }
        let context = IssueContext(
            issue: IssueReference(
                installationID: installation.id, repositoryID: repository.id, repositoryFullName: repository.fullName,
                number: number, isPullRequest: true),
            requester: Requester(id: author.id, login: author.login), commentID: comment.id,
            commentKind: .reviewComment)
        return command(
            comment.body ?? "", context,
            followUp: FollowUpRequest(
                source: .reviewComment, reviewID: comment.pullRequestReviewId, commentID: comment.id,
                path: comment.path, startLine: comment.startLine, line: comment.line, side: comment.side,
                diffHunk: comment.diffHunk))
    }

    /// A submitted review whose body is a command. Its line comments are the task's context, fetched
    /// by the dispatcher; a review takes no reaction, so the context names no comment.
    func review(_ payload: WebhookPayload.Envelope) -> DeliveryEffect {
        guard let review = payload.review, let repository = payload.repository,
            let number = payload.pullRequest?.number
        else { return .ignore(reason: "review payload lacks review, pull_request or repository") }
        guard let body = review.body, !body.isEmpty else { return .ignore(reason: "review has no body") }
        guard let installation = payload.installation else { return .ignore(reason: "no installation") }
        guard let author = review.user ?? payload.sender else { return .ignore(reason: "review has no author") }
        if isBot(author, viaApp: false) { return .ignore(reason: "review by a bot") }
        let context = IssueContext(
            issue: IssueReference(
                installationID: installation.id, repositoryID: repository.id, repositoryFullName: repository.fullName,
                number: number, isPullRequest: true),
            requester: Requester(id: author.id, login: author.login), commentID: nil, commentKind: .review)
        return command(body, context, followUp: FollowUpRequest(source: .review, reviewID: review.id))
    }
}
