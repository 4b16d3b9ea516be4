import Foundation

/// Whether Porter may push a follow-up's commits to a pull request's branch, decided from what GitHub
/// says of the pull request and its branch just before anything runs. Porter pushes only to a branch
/// of the same repository, never to a fork's, never to the default branch, a protected branch or the
/// base, and never to a pull request that is merged or closed.
public enum FollowUpTarget {
    /// Why a follow-up did not run, with the reply that says so on the pull request.
    public enum Refusal: Sendable, Equatable {
        case merged
        case closed
        case fork
        case defaultBranch(String)
        case baseBranch(String)
        case protectedBranch(String)
        case branchGone(String)
        case notOpenedByPorter

        /// The task's status reason.
        public var reason: String {
            switch self {
            case .merged: "the pull request is merged"
            case .closed: "the pull request is closed"
            case .fork: "the pull request comes from a fork"
            case .defaultBranch(let branch): "the pull request's branch \(branch) is the default branch"
            case .baseBranch(let branch): "the pull request's branch \(branch) is its base"
            case .protectedBranch(let branch): "the pull request's branch \(branch) is protected"
            case .branchGone(let branch): "the pull request's branch \(branch) no longer exists"
            case .notOpenedByPorter: "Porter did not open the pull request"
            }
        }

        /// What the reply on the pull request says; `issue` is the issue Porter opened it for, if any.
        public func reply(pull: Int, issue: Int?) -> String {
            let again =
                issue.map {
                    "To start again, comment `@porter <agent> …` on #\($0): a new task opens a new pull request."
                }
                ?? "To start again, open an issue and comment `@porter <agent> …` on it."
            switch self {
            case .merged:
                return "#\(pull) is already merged, so Porter will not add to its branch. \(again)"
            case .closed:
                return "#\(pull) is closed, so Porter will not add to its branch. Reopen it to ask again, or: \(again)"
            case .fork:
                return "#\(pull) comes from a fork. Porter only pushes to branches of this repository."
            case .defaultBranch(let branch):
                return "#\(pull) is opened from `\(branch)`, the default branch. Porter never pushes to it."
            case .baseBranch(let branch):
                return "#\(pull) is opened from `\(branch)` into itself. Porter will not push there."
            case .protectedBranch(let branch):
                return "`\(branch)` is a protected branch, so Porter will not push to it."
            case .branchGone(let branch):
                return "The branch `\(branch)` of #\(pull) no longer exists, so there is nothing to add to. \(again)"
            case .notOpenedByPorter:
                return "Porter follows up only on pull requests it opened. Comment `@porter <agent> …` on an issue "
                    + "to start a task."
            }
        }
    }

    /// `.merged` or `.closed` for a pull request that takes no more work; nil while it is open.
    public static func finished(_ pull: GitHubPullRequest) -> Refusal? {
        if pull.merged == true || pull.mergedAt != nil { return .merged }
        return pull.state == "open" ? nil : .closed
    }

    /// nil when the follow-up may push to `pull`'s head branch.
    /// - Parameters:
    ///   - repositoryID: the repository the follow-up was asked in.
    ///   - headBranch: the head branch as GitHub has it now; nil when it no longer exists.
    ///   - openedByPorter: whether a task of Porter's opened this pull request.
    ///   - anyPullRequest: `PORTER_FOLLOWUPS_ON_ANY_PR`: same-repository pull requests Porter did not open too.
    public static func check(
        pull: GitHubPullRequest, repositoryID: Int64, defaultBranch: String, headBranch: GitHubBranch?,
        openedByPorter: Bool, anyPullRequest: Bool
    ) -> Refusal? {
        if let finished = finished(pull) { return finished }
        guard let head = pull.head.repo, head.id == repositoryID, pull.base.repo.map({ $0.id == repositoryID }) ?? true
        else { return .fork }
        guard openedByPorter || anyPullRequest else { return .notOpenedByPorter }
        let branch = pull.head.ref
        if branch == defaultBranch { return .defaultBranch(branch) }
        if branch == pull.base.ref { return .baseBranch(branch) }
        guard let headBranch else { return .branchGone(branch) }
        if headBranch.isProtected { return .protectedBranch(branch) }
        return nil
    }
}
