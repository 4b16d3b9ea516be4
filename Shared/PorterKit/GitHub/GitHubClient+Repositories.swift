import Foundation

extension GitHubClient {
    public func repository(installationID: Int, owner: String, repo: String) async throws -> GitHubRepository {
        try await repository(as: .installation(installationID), owner: owner, repo: repo)
    }

    /// The commit a branch points at, or nil when there is no such branch.
    public func branchHead(installationID: Int, owner: String, repo: String, branch: String) async throws -> String? {
        try await self.branch(installationID: installationID, owner: owner, repo: repo, branch: branch)?.sha
    }

    /// A branch's head and whether it is protected; nil when there is no such branch.
    public func branch(installationID: Int, owner: String, repo: String, branch: String) async throws -> GitHubBranch? {
        struct Branch: Decodable {
            struct Commit: Decodable { var sha: String }
            var name: String
            var commit: Commit
            var protected: Bool?
        }
        // The branch name keeps its slashes: GitHub reads everything after `branches/` as the name.
        let path = Self.path(["repos", owner, repo, "branches"] + branch.split(separator: "/").map(String.init))
        let request = APIRequest(.GET, path, operation: "get_branch")
        do {
            let found = try await send(request, as: .installation(installationID))
                .decode(Branch.self, api: "github", operation: request.operation)
            return GitHubBranch(name: found.name, sha: found.commit.sha, isProtected: found.protected ?? false)
        } catch let error as APIError where error.statusCode == 404 {
            return nil
        }
    }

    /// A file's text on `ref` (the default branch when nil), or nil when there is no such file.
    public func fileContents(
        installationID: Int, owner: String, repo: String, path: String, ref: String? = nil
    ) async throws -> String? {
        struct Contents: Decodable {
            var type: String
            var encoding: String?
            var content: String?
        }
        let filePath = path.split(separator: "/").map(String.init)
        var uri = Self.path(["repos", owner, repo, "contents"] + filePath)
        if let ref, let encoded = ref.addingPercentEncoding(withAllowedCharacters: .alphanumerics) {
            uri += "?ref=\(encoded)"
        }
        let request = APIRequest(.GET, uri, operation: "get_contents")
        let response: APIResponse
        do {
            response = try await send(request, as: .installation(installationID))
        } catch let error as APIError where error.statusCode == 404 {
            return nil
        }
        let contents = try response.decode(Contents.self, api: "github", operation: request.operation)
        if contents.type == "file", contents.encoding == "none" { throw GitHubError.fileTooLarge(path: path) }
        guard contents.type == "file", contents.encoding == "base64", let content = contents.content,
            let data = Data(base64Encoded: content.filter { !$0.isWhitespace })
        else { throw GitHubError.notAFile(path: path) }
        return String(decoding: data, as: UTF8.self)
    }

    /// A user's role on a repository. Any failure is thrown, so callers fail closed.
    public func collaboratorPermission(
        installationID: Int, owner: String, repo: String, user: String
    ) async throws -> GitHubPermission {
        struct Answer: Decodable {
            var permission: String
            var roleName: String?
        }
        let request = APIRequest(
            .GET, Self.path("repos", owner, repo, "collaborators", user, "permission"),
            operation: "get_collaborator_permission")
        let answer = try await send(request, as: .installation(installationID))
            .decode(Answer.self, api: "github", operation: request.operation)
        // `permission` folds maintain into write and triage into read; `role_name` keeps them apart.
        if let role = answer.roleName.flatMap(GitHubPermission.init(rawValue:)) { return role }
        return GitHubPermission(rawValue: answer.permission) ?? .none
    }
}
