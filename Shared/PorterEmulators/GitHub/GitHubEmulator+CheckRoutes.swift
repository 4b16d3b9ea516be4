import Foundation
import HTTPTypes
import Hummingbird

/// How a commit's CI went: `GET /repos/{owner}/{repo}/commits/{ref}/check-runs` (permission
/// `checks: read`) and `GET …/commits/{ref}/status`, the combined status (`statuses: read`), for
/// installation and user tokens. `{ref}` is a commit or a branch, whose name may hold slashes.
extension GitHubEmulator {
    func addCheckRoutes(to router: Router<BasicRequestContext>) {
        let repo = router.group("/repos/:owner/:repo")
        repo.get("/commits/**") { request, context in
            let path = context.parameters.getCatchAll().joined(separator: "/").removingPercentEncoding ?? ""
            if path.hasSuffix("/check-runs") {
                let (repository, _) = try self.authorizeCaller(request, context, ("checks", "read"))
                let sha = try await self.commit(repository, named: String(path.dropLast("/check-runs".count)))
                return self.checkRunsResponse(repository, sha: sha, request: request)
            }
            if path.hasSuffix("/status") {
                let (repository, _) = try self.authorizeCaller(request, context, ("statuses", "read"))
                let sha = try await self.commit(repository, named: String(path.dropLast("/status".count)))
                return GitHubJSONResponse.make(self.combinedStatusJSON(repository, sha: sha))
            }
            throw GitHubAPIError.notFound
        }
    }

    func commit(_ repository: EmulatedRepository, named ref: String) async throws -> String {
        try await commit(owner: repository.owner, repo: repository.name, named: ref).1
    }

    /// The newest run of each name unless `filter=all`, narrowed by `check_name` and `status`, newest
    /// first and paged, with the total before paging.
    func checkRunsResponse(_ repository: EmulatedRepository, sha: String, request: Request) -> Response {
        let query = request.uri.queryParameters
        let all = query.get("filter") == "all"
        let runs = state.withLock { state in
            all
                ? state.checkRuns.values.filter { $0.repositoryID == repository.id && $0.headSHA == sha }
                : state.latestCheckRuns(repository.id, sha: sha)
        }
        .filter { run in query.get("check_name").map { $0 == run.name } ?? true }
        .filter { run in query.get("status").map { $0 == run.status } ?? true }
        .sorted { $0.id > $1.id }
        let pulls = pullsHeaded(at: sha, in: repository)
        let (page, link) = GitHubJSONResponse.pageSlice(
            runs.map { checkRunJSON($0, repository, pulls: pulls) }, request: request, baseURL: baseURL)
        var response = GitHubJSONResponse.make(["total_count": runs.count, "check_runs": page])
        if let link { response.headers[HTTPField.Name("Link")!] = link }
        return response
    }

    func checkRunJSON(_ run: EmulatedCheckRun, _ repository: EmulatedRepository, pulls: [Any]) -> [String: Any] {
        let api = "\(baseURL)/repos/\(repository.fullName)"
        let html = "\(baseURL)/\(repository.fullName)/runs/\(run.id)"
        return [
            "id": run.id, "head_sha": run.headSHA, "node_id": GitHubJSON.nodeID("08:CheckRun", run.id),
            "external_id": "", "url": "\(api)/check-runs/\(run.id)", "html_url": html,
            "details_url": run.detailsURL ?? html, "status": run.status, "conclusion": run.conclusion ?? NSNull(),
            "started_at": GitHubJSON.timestamp(run.startedAt),
            "completed_at": run.completedAt.map(GitHubJSON.timestamp) ?? NSNull(), "name": run.name,
            "output": [
                "title": NSNull(), "summary": NSNull(), "text": NSNull(), "annotations_count": 0,
                "annotations_url": "\(api)/check-runs/\(run.id)/annotations",
            ],
            "check_suite": ["id": run.checkSuiteID], "app": checkAppJSON(slug: run.appSlug, name: run.appName),
            "pull_requests": pulls,
        ]
    }

    /// The App a check run came from. GitHub Actions has its real id; others get one from their slug.
    func checkAppJSON(slug: String, name: String) -> [String: Any] {
        let id = slug == "github-actions" ? 15368 : slug.utf8.reduce(5381) { ($0 * 33 + Int($1)) % 1_000_000 }
        return [
            "id": id, "slug": slug, "node_id": GitHubJSON.nodeID("03:Integration", id), "name": name,
            "description": "", "external_url": "\(baseURL)/apps/\(slug)", "html_url": "\(baseURL)/apps/\(slug)",
            "owner": NSNull(), "permissions": [String: String](), "events": [String](),
        ]
    }

    /// The open pull requests of the repository whose head is `sha`, as check runs name them.
    func pullsHeaded(at sha: String, in repository: EmulatedRepository) -> [Any] {
        let pulls = state.withLock { state in
            (state.pulls[repository.id] ?? [:]).values.filter { $0.state == "open" && !$0.isFromFork }
                .sorted { $0.number < $1.number }
        }
        let api = "\(baseURL)/repos/\(repository.fullName)"
        let repo: [String: Any] = ["id": repository.id, "url": api, "name": repository.name]
        return pulls.compactMap { pull -> [String: Any]? in
            guard git.branchSHANow(owner: repository.owner, name: repository.name, branch: pull.head) == sha else {
                return nil
            }
            let baseSHA = git.branchSHANow(owner: repository.owner, name: repository.name, branch: pull.base) ?? ""
            return [
                "url": "\(api)/pulls/\(pull.number)", "id": pull.id, "number": pull.number,
                "head": ["ref": pull.head, "sha": sha, "repo": repo],
                "base": ["ref": pull.base, "sha": baseSHA, "repo": repo],
            ]
        }
    }

    /// GitHub's combined status: the newest status of each context, and `failure` if any failed or
    /// errored, `pending` if any is pending or there are none, `success` otherwise.
    func combinedStatusJSON(_ repository: EmulatedRepository, sha: String) -> [String: Any] {
        let statuses = state.withLock { $0.latestStatuses(repository.id, sha: sha) }
        let states = Set(statuses.map(\.state))
        let combined =
            !states.isDisjoint(with: ["failure", "error"])
            ? "failure" : states.isEmpty || states.contains("pending") ? "pending" : "success"
        let api = "\(baseURL)/repos/\(repository.fullName)"
        return [
            "state": combined, "sha": sha, "total_count": statuses.count,
            "statuses": statuses.map { status -> [String: Any] in
                [
                    "url": "\(api)/statuses/\(sha)",
                    "avatar_url": "\(baseURL)/avatars/u/\(user(status.creator).id)?v=4",
                    "id": status.id, "node_id": GitHubJSON.nodeID("013:StatusContext", status.id),
                    "state": status.state, "description": status.description ?? NSNull(),
                    "target_url": status.targetURL ?? NSNull(), "context": status.context,
                    "created_at": GitHubJSON.timestamp(status.createdAt),
                    "updated_at": GitHubJSON.timestamp(status.updatedAt),
                ]
            },
            "repository": repositoryJSON(repository), "commit_url": "\(api)/commits/\(sha)",
            "url": "\(api)/commits/\(sha)/status",
        ]
    }
}
