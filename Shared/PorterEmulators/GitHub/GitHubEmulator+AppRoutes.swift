import Foundation
import HTTPTypes
import Hummingbird

extension GitHubEmulator {
    func addAppRoutes(to router: Router<BasicRequestContext>) {
        router.get("/app") { request, _ in
            try self.verifyAppJWT(request)
            return GitHubJSONResponse.make([
                "id": self.app.id, "slug": self.app.slug, "name": self.app.slug, "client_id": self.app.clientID,
                "permissions": self.app.permissions, "events": Self.subscribedEvents,
                "html_url": "\(self.baseURL)/apps/\(self.app.slug)",
            ])
        }
        router.post("/app/installations/:id/access_tokens") { request, context in
            try self.verifyAppJWT(request)
            let id = try context.parameters.require("id", as: Int.self)
            let body = try await request.jsonObject(context: context)
            return try self.mintToken(installationID: id, body: body)
        }
    }

    /// The events the App subscribes to, as its settings page lists them.
    static let subscribedEvents = [
        "issue_comment", "issues", "pull_request", "pull_request_review", "pull_request_review_comment",
    ]

    func mintToken(installationID: Int, body: [String: Any]) throws -> Response {
        let names = (body["repositories"] as? [String])
        let ids = (body["repository_ids"] as? [Int])
        let requested = body["permissions"] as? [String: String]
        let minted: (String, TokenGrant, [EmulatedRepository])? = try state.withLock { state in
            guard let installation = state.installations[installationID] else { return nil }
            var narrowed: [EmulatedRepository]? = nil
            if names != nil || ids != nil {
                // Names are the installation's account's: a fork elsewhere with the same name is not one of them.
                let chosen = state.repositories.values.filter { repository in
                    names?.contains {
                        $0.lowercased() == repository.name.lowercased()
                            && state.installationCovers(installation, repository)
                    } ?? false
                        || ids?.contains(repository.id) ?? false
                }
                guard chosen.count == (names?.count ?? 0) + (ids?.count ?? 0),
                    chosen.allSatisfy({ state.installationCovers(installation, $0) })
                else {
                    throw GitHubAPIError.unprocessable(
                        "There is at least one repository that does not exist or is not accessible to the parent installation."
                    )
                }
                narrowed = chosen
            }
            var permissions = requested ?? app.permissions
            // Every installation token can read metadata, asked for or not.
            permissions["metadata"] = permissions["metadata"] ?? "read"
            for (name, level) in permissions where !Self.allows(app.permissions[name], level) {
                throw GitHubAPIError.unprocessable("The permissions requested are not granted to this installation.")
            }
            let token = "ghs_" + Self.randomToken()
            let grant = TokenGrant(
                installationID: installationID, repositoryIDs: narrowed.map { Set($0.map(\.id)) },
                permissions: permissions, expiresAt: Date().addingTimeInterval(tokenLifetime))
            state.grants[token] = grant
            state.tokenMints[installationID, default: 0] += 1
            return (token, grant, narrowed ?? [])
        }
        guard let (token, grant, repositories) = minted else { throw GitHubAPIError.notFound }
        var object: [String: Any] = [
            "token": token, "expires_at": GitHubJSON.timestamp(grant.expiresAt), "permissions": grant.permissions,
            "repository_selection": grant.repositoryIDs == nil ? "all" : "selected",
        ]
        if grant.repositoryIDs != nil {
            object["repositories"] = repositories.map { ["id": $0.id, "name": $0.name, "full_name": $0.fullName] }
        }
        return GitHubJSONResponse.make(object, status: .created)
    }

    static func randomToken() -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        return String((0..<36).map { _ in alphabet.randomElement()! })
    }
}
