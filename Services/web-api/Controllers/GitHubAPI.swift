import Foundation
import Hummingbird
import PorterKit

/// The signed-in user's GitHub, as Porter's App sees it through their token.
struct GitHubAPI {
    let gitHub: UserGitHub
    let accounts: PostgresAccountStore

    struct Installation: Encodable {
        var id: Int
        var account: String
        var repositorySelection: String
        var repositories: [Repository]
    }

    struct Repository: Encodable {
        var id: Int
        var fullName: String
        var `private`: Bool
    }

    func add(to router: Router<WebContext>) {
        router.get("/api/github/installations") { _, context in
            try await JSONAnswer.make(["installations": installations(context.requireUser())])
        }
        router.get("/api/github/repositories") { _, context in
            let repositories = try await installations(context.requireUser()).flatMap(\.repositories)
            return JSONAnswer.make(["repositories": repositories])
        }
        router.get("/api/github/profile") { _, context in
            let user = try context.requireUser()
            struct Profile: Encodable {
                var id: Int64
                var login: String
                var name: String?
                var avatarUrl: String?
            }
            let profile = try await accounts.profile(userID: user.id)
            return JSONAnswer.make(
                Profile(id: user.id, login: user.login, name: profile?.name, avatarUrl: profile?.avatarURL))
        }
        router.get("/api/github/summary") { _, context in
            let found = try await installations(context.requireUser())
            struct Summary: Encodable {
                var installed: Bool
                var installations: Int
                var repositories: Int
            }
            return JSONAnswer.make(
                Summary(
                    installed: !found.isEmpty, installations: found.count,
                    repositories: found.reduce(0) { $0 + $1.repositories.count }))
        }
    }

    func installations(_ user: SignedInUser) async throws -> [Installation] {
        try await gitHub.installations(user).map { installation, repositories in
            Installation(
                id: installation.id, account: installation.account.login,
                repositorySelection: installation.repositorySelection,
                repositories: repositories.map { Repository(id: $0.id, fullName: $0.fullName, private: $0.private) })
        }
    }
}
