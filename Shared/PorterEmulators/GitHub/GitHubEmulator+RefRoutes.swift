import Foundation
import HTTPTypes
import Hummingbird

/// `DELETE /repos/{owner}/{repo}/git/refs/heads/{branch}`: deleting a branch, with `contents:
/// write` and, for a user's token, push access. As on GitHub, the open pull requests whose head or
/// base it was are closed, each with its `pull_request` webhook.
extension GitHubEmulator {
    func addRefRoutes(to router: Router<BasicRequestContext>) {
        let repo = router.group("/repos/:owner/:repo")
        repo.delete("/git/refs/**") { request, context in
            let (repository, caller) = try self.authorizeCaller(request, context, ("contents", "write"))
            try self.requirePush(caller, repository)
            let ref = context.parameters.getCatchAll().joined(separator: "/").removingPercentEncoding ?? ""
            let missing = GitHubAPIError.unprocessable("Reference does not exist")
            guard ref.hasPrefix("heads/") else { throw missing }
            let branch = String(ref.dropFirst("heads/".count))
            guard let sha = await self.git.branchSHA(owner: repository.owner, name: repository.name, branch: branch)
            else { throw missing }
            if self.state.withLock({ $0.protectedBranches[repository.id]?.contains(branch) ?? false }) {
                throw GitHubAPIError(
                    status: .unprocessableContent, message: "Cannot delete this protected branch",
                    documentationURL: Self.protectedBranchesArticle)
            }
            guard await self.git.deleteBranch(owner: repository.owner, name: repository.name, branch: branch, at: sha)
            else { throw GitHubAPIError.unprocessable("Reference cannot be updated") }
            let closed = await self.closePulls(following: branch, at: sha, in: repository)
            let sender = self.login(of: caller)
            Task {
                for (base, number) in closed {
                    await self.deliverPullRequestEvent("closed", repository: base, number: number, sender: sender)
                }
            }
            return Response(status: .noContent)
        }
    }

    /// Closes the open pull requests whose head or base was `branch` of `repository`, which was at
    /// `sha` when it was deleted, keeping their diff as it was. Returns their repository and number.
    func closePulls(
        following branch: String, at sha: String, in repository: EmulatedRepository
    ) async -> [(EmulatedRepository, Int)] {
        let affected = state.withLock { state in
            state.pulls.values.flatMap(\.values).filter { pull in
                pull.state == "open"
                    && ((pull.headRepositoryID == repository.id && pull.head == branch)
                        || (pull.repositoryID == repository.id && pull.base == branch))
            }.map { pull in (pull, state.repositories[pull.repositoryID] ?? repository) }
        }
        var closed: [(EmulatedRepository, Int)] = []
        for (pull, base) in affected {
            let headRepository = state.withLock { $0.repositories[pull.headRepositoryID] } ?? base
            var headSHA: String? = sha
            if pull.headRepositoryID != repository.id || pull.head != branch {
                headSHA = await git.branchSHA(owner: headRepository.owner, name: headRepository.name, branch: pull.head)
            }
            var baseSHA: String? = sha
            if pull.repositoryID != repository.id || pull.base != branch {
                baseSHA = await git.branchSHA(owner: base.owner, name: base.name, branch: pull.base)
            }
            state.withLock { state in
                let now = Date()
                guard var current = state.pulls[base.id]?[pull.number], current.state == "open" else { return }
                current.state = "closed"
                current.closedAt = now
                current.updatedAt = now
                if let headSHA, let baseSHA { current.frozen = (baseSHA, headSHA) }
                state.pulls[base.id]?[pull.number] = current
                state.issues[base.id]?[pull.number]?.state = "closed"
                state.issues[base.id]?[pull.number]?.closedAt = now
                state.issues[base.id]?[pull.number]?.updatedAt = now
            }
            closed.append((base, pull.number))
        }
        return closed
    }
}
