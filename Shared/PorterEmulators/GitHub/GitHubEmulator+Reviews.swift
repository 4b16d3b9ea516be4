import Foundation

/// Reviews and line comments on pull requests, as people make them, with the webhooks GitHub sends:
/// `pull_request_review_comment` (`created`) for each line comment, then `pull_request_review`
/// (`submitted`) for the review. A single line comment is a review of its own on GitHub, with no
/// body, so it sends both too.
extension GitHubEmulator {
    /// A person comments on `line` (or `startLine` to `line`) of `path` in a pull request's diff, or
    /// replies to the comment `inReplyTo`; returns the comment's id. 422 when the line is not part of the diff.
    @discardableResult
    public func reviewComment(
        owner: String, repo: String, pull number: Int, author: String, body: String, path: String = "",
        line: Int = 0, startLine: Int? = nil, side: String = "RIGHT", inReplyTo: Int? = nil
    ) async throws -> Int {
        addUser(author)
        let (repository, pull) = try repositoryAndPull(owner: owner, repo: repo, number: number)
        let anchor: Anchor
        if let inReplyTo {
            guard
                let parent = state.withLock({ $0.reviewComments[inReplyTo] }),
                parent.repositoryID == repository.id, parent.pullNumber == number
            else { throw GitHubAPIError.notFound }
            anchor = Anchor(
                path: parent.path, line: parent.line, startLine: parent.startLine, side: parent.side,
                hunk: parent.diffHunk, position: parent.position)
        } else {
            anchor = try await self.anchor(repository, pull, path: path, line: line, startLine: startLine, side: side)
        }
        let commit = try await headCommit(repository, pull)
        let (reviewID, commentID) = state.withLock { state in
            let review = state.newID()
            state.reviews[review] = EmulatedReview(
                id: review, repositoryID: repository.id, pullNumber: number, author: author, body: nil,
                state: "COMMENTED", commitID: commit, submittedAt: Date())
            let comment = storeReviewComment(
                &state, repository: repository, pull: number, review: review, author: author, body: body,
                anchor: anchor, commit: commit, inReplyTo: inReplyTo)
            return (review, comment)
        }
        await deliverReviewComment(commentID, sender: author)
        await deliverReview(reviewID, sender: author)
        return commentID
    }

    /// A person submits a review with `body` and line comments; `event` is `COMMENT`, `APPROVE` or
    /// `REQUEST_CHANGES`. Returns the review's id. 422, with nothing stored, when a line is not part of the diff.
    @discardableResult
    public func submitReview(
        owner: String, repo: String, pull number: Int, author: String, body: String?, event: String = "COMMENT",
        comments: [(path: String, line: Int, body: String)] = []
    ) async throws -> Int {
        try await submitReview(
            owner: owner, repo: repo, pull: number, author: author, body: body, event: event,
            lineComments: comments.map { (path: $0.path, line: $0.line, side: "RIGHT", body: $0.body) })
    }

    /// `submitReview` with each line comment on the side it names: `RIGHT` (the head) or `LEFT` (the base).
    @discardableResult
    func submitReview(
        owner: String, repo: String, pull number: Int, author: String, body: String?, event: String,
        lineComments comments: [(path: String, line: Int, side: String, body: String)]
    ) async throws -> Int {
        addUser(author)
        let states = ["COMMENT": "COMMENTED", "APPROVE": "APPROVED", "REQUEST_CHANGES": "CHANGES_REQUESTED"]
        guard let reviewState = states[event] else {
            throw GitHubAPIError.unprocessable("Validation Failed: event must be COMMENT, APPROVE or REQUEST_CHANGES")
        }
        let (repository, pull) = try repositoryAndPull(owner: owner, repo: repo, number: number)
        var anchors: [(Anchor, String)] = []
        for comment in comments {
            let anchor = try await self.anchor(
                repository, pull, path: comment.path, line: comment.line, startLine: nil, side: comment.side)
            anchors.append((anchor, comment.body))
        }
        let commit = try await headCommit(repository, pull)
        let (reviewID, commentIDs) = state.withLock { state in
            let review = state.newID()
            state.reviews[review] = EmulatedReview(
                id: review, repositoryID: repository.id, pullNumber: number, author: author, body: body,
                state: reviewState, commitID: commit, submittedAt: Date())
            var ids: [Int] = []
            for (anchor, text) in anchors {
                ids.append(
                    storeReviewComment(
                        &state, repository: repository, pull: number, review: review, author: author, body: text,
                        anchor: anchor, commit: commit, inReplyTo: nil))
            }
            return (review, ids)
        }
        for id in commentIDs { await deliverReviewComment(id, sender: author) }
        await deliverReview(reviewID, sender: author)
        return reviewID
    }

    /// Where a line comment sits in the diff.
    struct Anchor {
        var path: String
        var line: Int
        var startLine: Int?
        var side: String
        var hunk: String
        var position: Int
    }

    func anchor(
        _ repository: EmulatedRepository, _ pull: EmulatedPull, path: String, line: Int, startLine: Int?,
        side: String
    ) async throws -> Anchor {
        guard ["LEFT", "RIGHT"].contains(side) else {
            throw GitHubAPIError.unprocessable("Validation Failed: side must be LEFT or RIGHT")
        }
        if let startLine, startLine >= line {
            throw GitHubAPIError.unprocessable("Validation Failed: start_line must precede the end line.")
        }
        guard
            let (hunk, position) = try await git.diffHunk(
                owner: repository.owner, name: repository.name, base: "refs/heads/\(pull.base)",
                head: try await headRef(pull, repository), path: path, line: line, side: side)
        else {
            throw GitHubAPIError.unprocessable(
                "Validation Failed: pull_request_review_thread.line must be part of the diff (\(path):\(line))")
        }
        return Anchor(path: path, line: line, startLine: startLine, side: side, hunk: hunk, position: position)
    }

    func headCommit(_ repository: EmulatedRepository, _ pull: EmulatedPull) async throws -> String {
        let ref = try await headRef(pull, repository)
        return try await git.git([
            "-C", git.directory(owner: repository.owner, name: repository.name).path, "rev-parse", ref,
        ])
    }

    func storeReviewComment(
        _ state: inout GitHubEmulatorState, repository: EmulatedRepository, pull: Int, review: Int, author: String,
        body: String, anchor: Anchor, commit: String, inReplyTo: Int?
    ) -> Int {
        let id = state.newID()
        state.reviewComments[id] = EmulatedReviewComment(
            id: id, repositoryID: repository.id, pullNumber: pull, reviewID: review, author: author, body: body,
            path: anchor.path, line: anchor.line, startLine: anchor.startLine, side: anchor.side,
            diffHunk: anchor.hunk, position: anchor.position, commitID: commit, inReplyTo: inReplyTo,
            createdAt: Date())
        state.pulls[repository.id]?[pull]?.updatedAt = Date()
        return id
    }

    /// Sends `pull_request_review_comment` (`created`).
    func deliverReviewComment(_ id: Int, sender: String) async {
        guard webhookTarget.withLock({ $0 }) != nil,
            let (comment, repository, pull) = state.withLock({ state in
                state.reviewComments[id].flatMap { comment in
                    state.repositories[comment.repositoryID].flatMap { repository in
                        state.pulls[repository.id]?[comment.pullNumber].map { (comment, repository, $0) }
                    }
                }
            })
        else { return }
        let object = await pullJSON(pull, repository)
        await deliver(
            "pull_request_review_comment", action: "created", repository: repository, sender: sender,
            fields: ["comment": reviewCommentJSON(comment, repository), "pull_request": object])
    }

    /// Sends `pull_request_review` (`submitted`).
    func deliverReview(_ id: Int, sender: String) async {
        guard webhookTarget.withLock({ $0 }) != nil,
            let (review, repository, pull) = state.withLock({ state in
                state.reviews[id].flatMap { review in
                    state.repositories[review.repositoryID].flatMap { repository in
                        state.pulls[repository.id]?[review.pullNumber].map { (review, repository, $0) }
                    }
                }
            })
        else { return }
        let object = await pullJSON(pull, repository)
        await deliver(
            "pull_request_review", action: "submitted", repository: repository, sender: sender,
            fields: ["review": reviewJSON(review, repository, webhook: true), "pull_request": object])
    }
}
