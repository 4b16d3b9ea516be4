import Foundation

/// A submitted review, for tests: its line comments as `path:line body`.
public struct EmulatedReviewSummary: Sendable, Equatable, Encodable {
    public var id: Int
    public var author: String
    public var state: String
    public var body: String?
    public var comments: [String]
}

/// A pull request as tests see it.
public struct EmulatedPullSummary: Sendable, Equatable {
    public var number: Int
    public var head: String
    public var base: String
    public var state: String
    public var merged: Bool
    public var title: String
    public var body: String?
    public var draft: Bool
    /// Who opened it: `porter[bot]` or a person's login.
    public var author: String
    /// `owner/name` of the repository the head branch lives in (a fork's for a pull request from a fork).
    public var headRepository: String
    /// The head branch's commit now, or nil when the branch is gone.
    public var headSHA: String?
}

/// A content-changing call as it reached the emulator: when, and what it asked for.
public struct EmulatedMutation: Sendable, Equatable {
    public var at: ContinuousClock.Instant
    /// `POST`, `PATCH`, `PUT` or `DELETE`.
    public var method: String
    public var path: String
}

/// An issue as tests see it.
public struct EmulatedIssueSummary: Sendable, Equatable {
    public var number: Int
    public var title: String
    public var body: String?
    public var author: String
    public var state: String
    /// Opened through the App with a user's token.
    public var viaApp: Bool
}

extension GitHubEmulator {
    /// The repository's issues (pull requests left out), by number.
    public func issues(owner: String, repo: String) -> [EmulatedIssueSummary] {
        state.withLock { state in
            guard let repository = state.repository(owner: owner, name: repo) else { return [] }
            return (state.issues[repository.id] ?? [:]).values.filter { !$0.isPull }.sorted { $0.number < $1.number }
                .map {
                    EmulatedIssueSummary(
                        number: $0.number, title: $0.title, body: $0.body, author: $0.author, state: $0.state,
                        viaApp: $0.viaApp)
                }
        }
    }

    /// Makes a token answer 401 "Bad credentials" from now on.
    public func revoke(token: String) { state.withLock { $0.grants[token]?.revoked = true } }

    /// Makes a token expire now.
    public func expire(token: String) { state.withLock { $0.grants[token]?.expiresAt = Date() } }

    /// The tokens currently valid for an installation.
    public func liveTokens(installationID: Int) -> [String] {
        state.withLock { state in
            state.grants.filter { $0.value.installationID == installationID && !$0.value.revoked }.map(\.key)
        }
    }

    /// How many tokens were minted for an installation.
    public func tokenMintCount(installationID: Int) -> Int { state.withLock { $0.tokenMints[installationID] ?? 0 } }

    /// Comment bodies on an issue, oldest first.
    public func comments(owner: String, repo: String, issue: Int) -> [String] {
        state.withLock { state in
            guard let repository = state.repository(owner: owner, name: repo) else { return [] }
            return state.comments.values.filter { $0.repositoryID == repository.id && $0.issueNumber == issue }
                .sorted { $0.id < $1.id }.map(\.body)
        }
    }

    /// Deletes the issue's comments whose body contains `text`, as a person on GitHub might; returns how many.
    @discardableResult
    public func deleteComments(owner: String, repo: String, issue: Int, containing text: String) -> Int {
        state.withLock { state in
            guard let repository = state.repository(owner: owner, name: repo) else { return 0 }
            let doomed = state.comments.values.filter {
                $0.repositoryID == repository.id && $0.issueNumber == issue && $0.body.contains(text)
            }.map(\.id)
            for id in doomed { state.comments[id] = nil }
            return doomed.count
        }
    }

    /// The reaction contents on a comment.
    public func reactions(commentID: Int) -> [String] {
        state.withLock { $0.comments[commentID]?.reactions.map(\.content) ?? [] }
    }

    public func labels(owner: String, repo: String, issue: Int) -> [String] {
        state.withLock { state in
            state.repository(owner: owner, name: repo).flatMap { state.issues[$0.id]?[issue]?.labels } ?? []
        }
    }

    public func pullRequests(owner: String, repo: String) -> [EmulatedPullSummary] {
        let found = state.withLock { state in
            state.repository(owner: owner, name: repo).map { repository in
                (state.pulls[repository.id] ?? [:]).values.sorted { $0.number < $1.number }.map { pull in
                    (pull, state.repositories[pull.headRepositoryID] ?? repository)
                }
            } ?? []
        }
        return found.map { pull, head in
            EmulatedPullSummary(
                number: pull.number, head: pull.head, base: pull.base, state: pull.state,
                merged: pull.mergedAt != nil, title: pull.title, body: pull.body, draft: pull.draft,
                author: pull.author, headRepository: head.fullName,
                headSHA: git.branchSHANow(owner: head.owner, name: head.name, branch: pull.head))
        }
    }

    /// One pull request, or nil when there is no such pull request.
    /// The reviews of a pull request, oldest first.
    public func reviews(owner: String, repo: String, pull: Int) -> [EmulatedReviewSummary] {
        state.withLock { state in
            guard let repository = state.repository(owner: owner, name: repo) else { return [] }
            return state.reviews.values.filter { $0.repositoryID == repository.id && $0.pullNumber == pull }
                .sorted { $0.id < $1.id }
                .map { review in
                    EmulatedReviewSummary(
                        id: review.id, author: review.author, state: review.state, body: review.body,
                        comments: state.reviewComments.values.filter { $0.reviewID == review.id }.sorted {
                            $0.id < $1.id
                        }
                        .map { "\($0.path):\($0.line) \($0.body)" })
                }
        }
    }

    public func pullRequest(owner: String, repo: String, number: Int) -> EmulatedPullSummary? {
        pullRequests(owner: owner, repo: repo).first { $0.number == number }
    }

    /// The repositories (`owner/name`) a token reaches; every one of its installation's when not narrowed.
    public func tokenRepositories(_ token: String) -> [String] {
        state.withLock { state in
            guard let grant = state.grants[token], let installation = state.installations[grant.installationID] else {
                return []
            }
            return state.repositories.values.filter {
                state.installationCovers(installation, $0) && (grant.repositoryIDs?.contains($0.id) ?? true)
            }.map(\.fullName).sorted()
        }
    }

    /// The permissions a token was granted.
    public func tokenPermissions(_ token: String) -> [String: String] {
        state.withLock { $0.grants[token]?.permissions ?? [:] }
    }

    /// The commit a branch points at, or nil when the branch does not exist.
    public func branchSHA(owner: String, repo: String, branch: String) async -> String? {
        await git.branchSHA(owner: owner, name: repo, branch: branch)
    }

    /// A file's text at `ref`, or nil when it does not exist there.
    public func fileText(owner: String, repo: String, path: String, ref: String) async -> String? {
        await git.file(owner: owner, name: repo, path: path, ref: ref).map { String(decoding: $0.0, as: UTF8.self) }
    }

    /// The full message of the commit at `ref`.
    public func commitMessage(owner: String, repo: String, ref: String) async throws -> String {
        try await git.git(["-C", git.directory(owner: owner, name: repo).path, "log", "-1", "--format=%B", ref])
    }

    /// The parents of the commit at `ref`: one for a squash or a rebased commit, two for a merge commit.
    public func commitParents(owner: String, repo: String, ref: String) async throws -> [String] {
        try await git.git(["-C", git.directory(owner: owner, name: repo).path, "log", "-1", "--format=%P", ref])
            .split(separator: " ").map(String.init)
    }

    /// The repository's branch names, sorted.
    public func branches(owner: String, repo: String) async throws -> [String] {
        try await git.branches(owner: owner, name: repo)
    }

    /// The full messages of the commits reachable from `ref`, newest first.
    public func commitMessages(owner: String, repo: String, ref: String) async throws -> [String] {
        try await git.log(owner: owner, name: repo, ref: ref)
    }

    /// The reaction contents on a pull request review comment.
    public func reviewCommentReactions(commentID: Int) -> [String] {
        state.withLock { $0.reviewComments[commentID]?.reactions.map(\.content) ?? [] }
    }

    /// The branches of a repository that refuse pushes.
    public func protectedBranches(owner: String, repo: String) -> Set<String> {
        state.withLock { state in
            state.repository(owner: owner, name: repo).flatMap { state.protectedBranches[$0.id] } ?? []
        }
    }

    /// When each mutating call of an installation arrived, and how many the enforced limit refused.
    public func mutatingCalls(installationID: Int) -> [ContinuousClock.Instant] {
        mutatingRequests(installationID: installationID).map(\.at)
    }

    /// Each mutating call of an installation, in the order it arrived.
    public func mutatingRequests(installationID: Int) -> [EmulatedMutation] {
        state.withLock { $0.mutationCalls[installationID] ?? [] }
    }

    public var mutationLimitViolations: Int { state.withLock { $0.mutationViolations } }

    /// Every webhook delivery attempt, oldest first.
    public var deliveries: [EmulatedDelivery] { state.withLock { $0.deliveries } }
}
