import Foundation

/// Review comments and reviews in GitHub's REST and webhook shapes.
extension GitHubEmulator {
    func reviewCommentJSON(_ comment: EmulatedReviewComment, _ repository: EmulatedRepository) -> [String: Any] {
        let api = "\(baseURL)/repos/\(repository.fullName)"
        let url = "\(api)/pulls/comments/\(comment.id)"
        let html = "\(baseURL)/\(repository.fullName)/pull/\(comment.pullNumber)#discussion_r\(comment.id)"
        let pullURL = "\(api)/pulls/\(comment.pullNumber)"
        var object: [String: Any] = [
            "url": url, "pull_request_review_id": comment.reviewID, "id": comment.id,
            "node_id": GitHubJSON.nodeID("024:PullRequestReviewComment", comment.id), "diff_hunk": comment.diffHunk,
            "path": comment.path, "position": comment.position, "original_position": comment.position,
            "commit_id": comment.commitID, "original_commit_id": comment.commitID,
            "user": json.user(user(comment.author)), "body": comment.body,
            "created_at": GitHubJSON.timestamp(comment.createdAt),
            "updated_at": GitHubJSON.timestamp(comment.createdAt),
            "html_url": html, "pull_request_url": pullURL,
            "author_association": association(comment.author, repository),
            "_links": ["self": ["href": url], "html": ["href": html], "pull_request": ["href": pullURL]],
            "reactions": json.reactions("\(url)/reactions", comment.reactions),
            "start_line": comment.startLine ?? NSNull(), "original_start_line": comment.startLine ?? NSNull(),
            "start_side": comment.startLine == nil ? NSNull() as Any : comment.side, "line": comment.line,
            "original_line": comment.line, "side": comment.side, "subject_type": "line",
        ]
        // GitHub names the comment replied to only on replies.
        if let inReplyTo = comment.inReplyTo { object["in_reply_to_id"] = inReplyTo }
        return object
    }

    /// A review; webhooks spell the state in lower case and an empty body as null, the REST API in
    /// upper case and as an empty string.
    func reviewJSON(_ review: EmulatedReview, _ repository: EmulatedRepository, webhook: Bool) -> [String: Any] {
        let pullURL = "\(baseURL)/repos/\(repository.fullName)/pulls/\(review.pullNumber)"
        let html = "\(baseURL)/\(repository.fullName)/pull/\(review.pullNumber)#pullrequestreview-\(review.id)"
        let body: Any = webhook ? review.body.map { $0 as Any } ?? NSNull() : review.body ?? ""
        return [
            "id": review.id, "node_id": GitHubJSON.nodeID("017:PullRequestReview", review.id),
            "user": json.user(user(review.author)),
            "body": body,
            "commit_id": review.commitID, "submitted_at": GitHubJSON.timestamp(review.submittedAt),
            "state": webhook ? review.state.lowercased() : review.state, "html_url": html,
            "pull_request_url": pullURL, "author_association": association(review.author, repository),
            "_links": ["html": ["href": html], "pull_request": ["href": pullURL]],
        ]
    }

    /// GitHub's `author_association` from a person's role on the repository.
    func association(_ login: String, _ repository: EmulatedRepository) -> String {
        if login.lowercased() == repository.owner.lowercased() { return "OWNER" }
        return role(of: login, in: repository) == "none" || role(of: login, in: repository) == "read"
            ? "CONTRIBUTOR" : "COLLABORATOR"
    }
}
