import Foundation

/// Everything the emulator knows, behind one lock.
struct GitHubEmulatorState: Sendable {
    var nextID = 1000
    var users: [String: EmulatedUser] = [:]
    var repositories: [Int: EmulatedRepository] = [:]
    var issues: [Int: [Int: EmulatedIssue]] = [:]
    var comments: [Int: EmulatedComment] = [:]
    var pulls: [Int: [Int: EmulatedPull]] = [:]
    var reviewComments: [Int: EmulatedReviewComment] = [:]
    var reviews: [Int: EmulatedReview] = [:]
    /// Branch names per repository id that refuse pushes.
    var protectedBranches: [Int: Set<String>] = [:]
    /// Per repository id and protected branch: the status checks (check names or status contexts)
    /// that must succeed on a pull request's head before it merges.
    var requiredChecks: [Int: [String: [String]]] = [:]
    var checkRuns: [Int: EmulatedCheckRun] = [:]
    var commitStatuses: [Int: EmulatedCommitStatus] = [:]
    /// Pull request ids being merged now, so that two merges of one pull request cannot both land.
    var mergesInFlight: Set<Int> = []
    var collaborators: [Int: [String: String]] = [:]
    var installations: [Int: EmulatedInstallation] = [:]
    var grants: [String: TokenGrant] = [:]
    var userTokens: [String: UserToken] = [:]
    var refreshTokens: [String: RefreshGrant] = [:]
    var oauthCodes: [String: OAuthCode] = [:]
    var oauthConsent = OAuthConsent.automatic
    var userTokenLifetime: Duration? = .seconds(28800)
    var codeExchanges = 0
    var tokenRefreshes = 0
    var tokenMints: [Int: Int] = [:]
    var deliveries: [EmulatedDelivery] = []
    /// How many of the next webhook sends are logged as timed out without being posted.
    var deliveriesToDrop = 0
    var lastMutation: [Int: ContinuousClock.Instant] = [:]
    var mutationCalls: [Int: [EmulatedMutation]] = [:]
    var mutationViolations = 0
    var enforceMutationLimit = false
    var labelIDs: [String: Int] = [:]
    var authorizingLogin: String?

    mutating func newID() -> Int {
        nextID += 1
        return nextID
    }

    func repository(owner: String, name: String) -> EmulatedRepository? {
        repositories.values.first {
            $0.owner.lowercased() == owner.lowercased() && $0.name.lowercased() == name.lowercased()
        }
    }

    /// Issues and pull requests share one number sequence per repository, as on GitHub.
    func nextNumber(in repositoryID: Int) -> Int { (issues[repositoryID]?.keys.max() ?? 0) + 1 }

    func labelID(_ name: String) -> Int { labelIDs[name] ?? abs(name.hashValue % 1_000_000) }

    func installationCovers(_ installation: EmulatedInstallation, _ repository: EmulatedRepository) -> Bool {
        guard repository.owner.lowercased() == installation.account.lowercased() else { return false }
        return installation.repositoryIDs?.contains(repository.id) ?? true
    }
}
