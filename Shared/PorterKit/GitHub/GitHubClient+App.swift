import Foundation

extension GitHubClient {
    struct TokenRequest: Encodable {
        var repositories: [String]?
        var repositoryIds: [Int]?
        var permissions: [String: String]?
    }

    /// The installation's broad token, from the cache or freshly minted.
    func installationToken(_ installationID: Int) async throws -> GitHubInstallationToken {
        try await tokens.token(for: installationID) { [self] in
            try await mintToken(installationID, TokenRequest())
        }
    }

    /// A token limited to some repositories and permissions, for example what a worker Machine may
    /// push with. It is minted for each call and never cached, so it never stands in for the broad one.
    public func narrowedInstallationToken(
        installationID: Int, repositories: [String]? = nil, repositoryIDs: [Int]? = nil,
        permissions: [String: String]
    ) async throws -> GitHubInstallationToken {
        try await mintToken(
            installationID,
            TokenRequest(repositories: repositories, repositoryIds: repositoryIDs, permissions: permissions))
    }

    func mintToken(_ installationID: Int, _ body: TokenRequest) async throws -> GitHubInstallationToken {
        // Minting twice after a lost answer only leaves an unused token behind, so a retry is safe.
        let request = try APIRequest.json(
            .POST, Self.path("app", "installations", String(installationID), "access_tokens"),
            operation: "create_installation_token", body: body, idempotent: true)
        return try await send(request, as: .app)
            .decode(GitHubInstallationToken.self, api: "github", operation: request.operation)
    }
}

/// The App as GitHub describes it to itself.
public struct GitHubAppInfo: Codable, Sendable, Equatable {
    public var id: Int
    public var slug: String?
    public var name: String
}

extension GitHubClient {
    /// `GET /app` with the App's JWT: proves the App id and private key are ones GitHub accepts.
    public func authenticatedApp() async throws -> GitHubAppInfo {
        let request = APIRequest(.GET, "/app", operation: "get_app")
        return try await send(request, as: .app).decode(GitHubAppInfo.self, api: "github", operation: request.operation)
    }
}
