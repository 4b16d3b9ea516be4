import Foundation

extension GitHubEmulator {
    /// Adds a user or organization (`type: "Organization"`) and returns its id.
    @discardableResult
    public func addUser(_ login: String, type: String = "User") -> Int {
        state.withLock { state in
            let user = EmulatedUser(id: state.users[login.lowercased()]?.id ?? state.newID(), login: login, type: type)
            state.users[login.lowercased()] = user
            return user.id
        }
    }

    /// Adds a repository backed by a real bare git repository whose default branch holds `files` in one commit.
    @discardableResult
    public func addRepository(
        owner: String, name: String, defaultBranch: String = "main",
        files: [String: String] = ["README.md": "# Hello\n"], isPrivate: Bool = true
    ) async throws -> Int {
        if state.withLock({ $0.users[owner.lowercased()] }) == nil { addUser(owner) }
        try await git.create(owner: owner, name: name, defaultBranch: defaultBranch, files: files)
        return state.withLock { state in
            let id = state.newID()
            state.repositories[id] = EmulatedRepository(
                id: id, owner: owner, name: name, defaultBranch: defaultBranch, isPrivate: isPrivate,
                createdAt: Date())
            return id
        }
    }

    /// Installs the App on `account`, for all its repositories or only those named.
    @discardableResult
    public func addInstallation(account: String, repositories: [String]? = nil) -> Int {
        state.withLock { state in
            let id = state.newID()
            let ids = repositories.map { names in
                Set(names.compactMap { state.repository(owner: account, name: $0)?.id })
            }
            state.installations[id] = EmulatedInstallation(id: id, account: account, repositoryIDs: ids)
            return id
        }
    }

    /// Gives `user` a role on a repository: admin, maintain, write, triage or read.
    public func setRole(owner: String, repo: String, user: String, role: String) {
        addUser(user)
        state.withLock { state in
            guard let repository = state.repository(owner: owner, name: repo) else { return }
            state.collaborators[repository.id, default: [:]][user.lowercased()] = role
        }
    }

    /// Opens an issue and returns its number.
    @discardableResult
    public func addIssue(owner: String, repo: String, title: String, body: String? = nil, author: String) -> Int {
        addUser(author)
        return state.withLock { state in
            guard let repository = state.repository(owner: owner, name: repo) else { return 0 }
            let number = state.nextNumber(in: repository.id)
            let now = Date()
            state.issues[repository.id, default: [:]][number] = EmulatedIssue(
                id: state.newID(), number: number, repositoryID: repository.id, title: title, body: body,
                author: author, createdAt: now, updatedAt: now)
            return number
        }
    }

    /// A person closes an issue; the `issues` webhook (`closed`) goes out before this returns.
    public func closeIssue(owner: String, repo: String, number: Int, by login: String) async throws {
        addUser(login)
        let repository = try state.withLock { state throws(GitHubAPIError) in
            guard let repository = state.repository(owner: owner, name: repo),
                state.issues[repository.id]?[number] != nil
            else { throw .notFound }
            let now = Date()
            state.issues[repository.id]![number]!.state = "closed"
            state.issues[repository.id]![number]!.closedAt = now
            state.issues[repository.id]![number]!.updatedAt = now
            return repository
        }
        await deliverIssueEvent("closed", repository: repository, number: number, sender: login)
    }

    /// A person comments on an issue; the `issue_comment` webhook goes out before this returns.
    @discardableResult
    public func comment(owner: String, repo: String, issue: Int, author: String, body: String) async throws -> Int {
        addUser(author)
        guard let repository = state.withLock({ $0.repository(owner: owner, name: repo) }) else {
            throw GitHubAPIError.notFound
        }
        let id = try createComment(repository, issue: issue, author: author, body: body)
        await deliverIssueComment(id)
        return id
    }

    /// A token for `login` that never expires, like an OAuth App's; the code exchange hands out expiring ones.
    public func userToken(for login: String) -> String {
        addUser(login)
        let token = "gho_" + Self.randomToken()
        state.withLock { $0.userTokens[token] = UserToken(login: login, expiresAt: nil) }
        return token
    }
}
