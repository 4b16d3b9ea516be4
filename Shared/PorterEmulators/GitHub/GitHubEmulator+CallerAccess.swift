import Foundation

/// What a person's own role allows when the App acts with their token. A user-to-server token can
/// do what both the App and the person may: `authorizeCaller` checks the App's side and that the
/// person can see the repository; these check the person's role for writes. GitHub answers a
/// user-to-server token that lacks either with the same 403.
extension GitHubEmulator {
    /// The roles with push access.
    static let pushRoles: Set = ["admin", "maintain", "write"]

    /// Who GitHub names as having done what a caller does: the App's bot, or the person.
    func login(of caller: Caller) -> String {
        switch caller {
        case .installation: botLogin
        case .user(let login): login
        }
    }

    /// Merging, deleting a branch, marking a draft ready: push access.
    func requirePush(_ caller: Caller, _ repository: EmulatedRepository) throws(GitHubAPIError) {
        guard case .user(let login) = caller else { return }
        guard Self.pushRoles.contains(role(of: login, in: repository)) else { throw .notAccessible }
    }

    /// Editing a pull request: push access, or being its author; closing and reopening it, triage too.
    func requireEdit(
        _ caller: Caller, _ repository: EmulatedRepository, _ pull: EmulatedPull, changesOnlyState: Bool
    ) throws(GitHubAPIError) {
        guard case .user(let login) = caller else { return }
        let role = role(of: login, in: repository)
        guard
            Self.pushRoles.contains(role) || login.lowercased() == pull.author.lowercased()
                || (changesOnlyState && role == "triage")
        else { throw .notAccessible }
    }
}
