import Foundation

/// Broad installation tokens, kept until 5 minutes before they expire, with at most one refresh in
/// flight per installation: concurrent callers wait for the same refresh instead of minting their own.
actor InstallationTokenCache {
    private var tokens: [Int: GitHubInstallationToken] = [:]
    private var refreshes: [Int: Task<GitHubInstallationToken, any Error>] = [:]
    private let margin: TimeInterval = 5 * 60

    func token(
        for installationID: Int, now: Date = Date(),
        mint: @escaping @Sendable () async throws -> GitHubInstallationToken
    ) async throws -> GitHubInstallationToken {
        if let cached = tokens[installationID], cached.expiresAt.timeIntervalSince(now) > margin { return cached }
        if let refresh = refreshes[installationID] { return try await refresh.value }
        let refresh = Task { try await mint() }
        refreshes[installationID] = refresh
        defer { refreshes[installationID] = nil }
        let fresh = try await refresh.value
        tokens[installationID] = fresh
        return fresh
    }

    /// Forgets `token` after GitHub refused it; a token another caller already replaced stays replaced.
    func invalidate(_ installationID: Int, token: String) {
        if tokens[installationID]?.token == token { tokens[installationID] = nil }
    }
}
