import Foundation
import HTTPTypes
import Hummingbird

extension GitHubEmulator {
    func addRepositoryRoutes(to router: Router<BasicRequestContext>) {
        let repo = router.group("/repos/:owner/:repo")
        // A review page reads the merge settings with the signed-in person's token.
        repo.get { request, context in
            let (repository, _) = try self.authorizeCaller(request, context, ("metadata", "read"))
            return GitHubJSONResponse.make(self.repositoryJSON(repository, settings: true))
        }
        repo.get("/contents/**") { request, context in
            let (repository, _) = try self.authorize(request, context, ("contents", "read"))
            let path = context.parameters.getCatchAll().joined(separator: "/").removingPercentEncoding ?? ""
            let ref = request.uri.queryParameters.get("ref") ?? repository.defaultBranch
            guard
                let (data, sha) = await self.git.file(
                    owner: repository.owner, name: repository.name, path: path, ref: ref)
            else { throw GitHubAPIError.notFound }
            let url = "\(self.baseURL)/repos/\(repository.fullName)/contents/\(path)?ref=\(ref)"
            // Over 1 MB, GitHub's contents API names the file but serves no content: `encoding: none`.
            let tooLarge = data.count > 1_000_000
            return GitHubJSONResponse.make([
                "type": "file", "encoding": tooLarge ? "none" : "base64", "size": data.count,
                "name": (path as NSString).lastPathComponent, "path": path,
                "content": tooLarge
                    ? "" : data.base64EncodedString(options: [.lineLength76Characters, .endLineWithLineFeed]) + "\n",
                "sha": sha, "url": url, "git_url": NSNull(), "html_url": NSNull(), "download_url": NSNull(),
                "_links": ["self": url],
            ])
        }
        repo.get("/branches/**") { request, context in
            let (repository, _) = try self.authorize(request, context, ("contents", "read"))
            let branch = context.parameters.getCatchAll().joined(separator: "/").removingPercentEncoding ?? ""
            guard let sha = await self.git.branchSHA(owner: repository.owner, name: repository.name, branch: branch)
            else { throw GitHubAPIError.notFound }
            let protected = self.state.withLock { $0.protectedBranches[repository.id]?.contains(branch) ?? false }
            let required = self.requiredChecks(repository, branch: branch)
            let url = "\(self.baseURL)/repos/\(repository.fullName)/branches/\(branch)"
            return GitHubJSONResponse.make([
                "name": branch, "protected": protected, "protection_url": "\(url)/protection",
                "protection": [
                    "enabled": protected,
                    "required_status_checks": [
                        "enforcement_level": required.isEmpty ? "off" : "non_admins", "contexts": required,
                        "checks": required.map { ["context": $0, "app_id": NSNull()] },
                    ],
                ],
                "commit": ["sha": sha, "url": "\(self.baseURL)/repos/\(repository.fullName)/commits/\(sha)"],
                "_links": ["self": url, "html": "\(self.baseURL)/\(repository.fullName)/tree/\(branch)"],
            ])
        }
        repo.get("/collaborators/:user/permission") { request, context in
            let (repository, _) = try self.authorize(request, context, ("metadata", "read"))
            let login = try context.parameters.require("user")
            guard let account = self.state.withLock({ $0.users[login.lowercased()] }) else {
                throw GitHubAPIError(status: .notFound, message: "\(login) is not a user")
            }
            let role = self.role(of: account.login, in: repository)
            // The legacy `permission` field folds maintain into write and triage into read.
            let legacy = ["maintain": "write", "triage": "read"][role] ?? role
            var user = self.json.user(account)
            user["permissions"] = [
                "admin": role == "admin", "maintain": ["admin", "maintain"].contains(role),
                "push": ["admin", "maintain", "write"].contains(role),
                "triage": ["admin", "maintain", "write", "triage"].contains(role), "pull": role != "none",
            ]
            return GitHubJSONResponse.make(["permission": legacy, "role_name": role, "user": user])
        }
    }

    func role(of login: String, in repository: EmulatedRepository) -> String {
        state.withLock { state in
            if login.lowercased() == repository.owner.lowercased() { return "admin" }
            if let role = state.collaborators[repository.id]?[login.lowercased()] { return role }
            return repository.isPrivate ? "none" : "read"
        }
    }
}
