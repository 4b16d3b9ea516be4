import Foundation
import HTTPTypes
import Hummingbird

extension GitHubEmulator {
    func addUserRoutes(to router: Router<BasicRequestContext>) {
        router.get("/user") { request, _ in
            GitHubJSONResponse.make(self.json.user(try self.signedInUser(request)))
        }
        router.get("/user/installations") { request, _ in
            let account = try self.signedInUser(request)
            let installations = self.installations(visibleTo: account.login).map { installation in
                var object: [String: Any] = [
                    "id": installation.id, "account": self.json.user(self.user(installation.account)),
                    "repository_selection": installation.repositoryIDs == nil ? "all" : "selected",
                    "app_id": self.app.id, "app_slug": self.app.slug,
                    "target_type": self.user(installation.account).type,
                    "permissions": self.app.permissions, "events": Self.subscribedEvents,
                ]
                object["access_tokens_url"] = "\(self.baseURL)/app/installations/\(installation.id)/access_tokens"
                return object
            }
            return GitHubJSONResponse.make(["total_count": installations.count, "installations": installations])
        }
        router.get("/user/installations/:id/repositories") { request, context in
            let account = try self.signedInUser(request)
            let id = try context.parameters.require("id", as: Int.self)
            guard let installation = self.installations(visibleTo: account.login).first(where: { $0.id == id }) else {
                throw GitHubAPIError.notFound
            }
            let repositories = self.state.withLock { state in
                state.repositories.values.filter { state.installationCovers(installation, $0) }.sorted { $0.id < $1.id }
            }.filter { self.role(of: account.login, in: $0) != "none" }
            return GitHubJSONResponse.make([
                "total_count": repositories.count,
                "repository_selection": installation.repositoryIDs == nil ? "all" : "selected",
                "repositories": repositories.map { self.repositoryJSON($0) },
            ])
        }
    }

    func signedInUser(_ request: Request) throws(GitHubAPIError) -> EmulatedUser {
        guard let token = Self.bearer(request), let login = liveUserLogin(token) else {
            throw .badCredentials
        }
        return user(login)
    }

    /// Installations on the user's own account, or covering a repository the user has a role on.
    func installations(visibleTo login: String) -> [EmulatedInstallation] {
        let all = state.withLock { state in state.installations.values.sorted { $0.id < $1.id } }
        return all.filter { installation in
            if installation.account.lowercased() == login.lowercased() { return true }
            let covered = state.withLock { state in
                state.repositories.values.filter { state.installationCovers(installation, $0) }
            }
            return covered.contains { role(of: login, in: $0) != "none" }
        }
    }
}
