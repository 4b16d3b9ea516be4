import Foundation
import PorterKit

/// Which repositories each signed-in person can reach through the App's installations, asked of
/// GitHub at most once a minute per person: lists filter on it in SQL.
actor TaskVisibility {
    let gitHub: UserGitHub
    let lifetime: Duration
    private var cache: [Int64: (repositories: [Int64], fetched: ContinuousClock.Instant)] = [:]

    init(gitHub: UserGitHub, lifetime: Duration = .seconds(60)) {
        self.gitHub = gitHub
        self.lifetime = lifetime
    }

    func repositories(of user: SignedInUser) async throws -> [Int64] {
        if let cached = cache[user.id], ContinuousClock.now - cached.fetched < lifetime { return cached.repositories }
        let found = try await gitHub.installations(user).flatMap { $0.1.map { Int64($0.id) } }
        cache[user.id] = (found, .now)
        if cache.count > 10_000 { cache = cache.filter { ContinuousClock.now - $0.value.fetched < lifetime } }
        return found
    }
}
