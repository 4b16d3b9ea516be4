import Foundation

/// Landing a pull request on its base the three ways GitHub's merge button does, and deleting
/// branches, all in the bare repository without a working tree.
extension GitRepositoryStore {
    /// How a landing went.
    enum Landing: Equatable {
        /// The base now points at this commit.
        case landed(String)
        /// The head does not merge (or, for a rebase, replay) cleanly onto the base.
        case conflict
        /// Someone moved the base while the merge was being made; nothing changed.
        case baseMoved
    }

    /// A commit's author or committer.
    struct Signature {
        var name: String
        var email: String

        static let gitHub = Signature(name: "GitHub", email: "noreply@github.com")

        var environment: [String: String] {
            [
                "GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email, "GIT_COMMITTER_NAME": Self.gitHub.name,
                "GIT_COMMITTER_EMAIL": Self.gitHub.email,
            ]
        }
    }

    /// Lands `headSHA` on the branch `base`, which must still be at `baseSHA`: a merge commit with
    /// both as parents, one squashed commit whose parent is the base, or the head's commits replayed
    /// one by one onto the base (new ids, their authors kept). GitHub is the committer of each.
    func land(
        owner: String, name: String, base: String, baseSHA: String, headSHA: String, method: EmulatedMergeMethod,
        message: String, author: Signature
    ) async throws -> Landing {
        let bare = directory(owner: owner, name: name).path
        guard let tree = try await mergeTree(owner: owner, name: name, base: baseSHA, head: headSHA) else {
            return .conflict
        }
        let tip: String
        switch method {
        case .merge:
            tip = try await git(
                ["-C", bare, "commit-tree", tree, "-p", baseSHA, "-p", headSHA, "-m", message],
                environment: author.environment)
        case .squash:
            tip = try await git(
                ["-C", bare, "commit-tree", tree, "-p", baseSHA, "-m", message], environment: author.environment)
        case .rebase:
            let commits = try await git(["-C", bare, "rev-list", "--reverse", "--no-merges", "\(baseSHA)..\(headSHA)"])
                .split(separator: "\n").map(String.init)
            guard let replayed = try await replay(bare, commits, onto: baseSHA) else { return .conflict }
            tip = replayed
        }
        let moved = try await Self.run(["git", "-C", bare, "update-ref", "refs/heads/\(base)", tip, baseSHA])
        return moved.status == 0 ? .landed(tip) : .baseMoved
    }

    /// Applies each commit's own change on top of the last, as `git rebase` does; nil when one does
    /// not apply.
    func replay(_ bare: String, _ commits: [String], onto base: String) async throws -> String? {
        let index = root.appendingPathComponent("index-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: index) }
        let indexEnvironment = ["GIT_INDEX_FILE": index.path]
        var tip = base
        for commit in commits {
            try await git(["-C", bare, "read-tree", tip], environment: indexEnvironment)
            let change = try await Self.run([
                "git", "-C", bare, "diff", "--binary", "--full-index", "\(commit)^", commit, "--",
            ])
            guard change.status == 0 else { return nil }
            if !change.stdout.isEmpty {
                let applied = try await Self.run(
                    ["git", "-C", bare, "apply", "--cached", "--3way"], environment: indexEnvironment,
                    input: change.stdout)
                guard applied.status == 0 else { return nil }
            }
            let tree = try await git(["-C", bare, "write-tree"], environment: indexEnvironment)
            let fields = try await git([
                "-C", bare, "log", "-1", "--date=raw", "--format=%an%x00%ae%x00%ad%x00%B", commit,
            ])
            .split(separator: "\0", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 4 else { return nil }
            var environment = Signature(name: fields[0], email: fields[1]).environment
            environment["GIT_AUTHOR_DATE"] = fields[2]
            tip = try await git(
                ["-C", bare, "commit-tree", tree, "-p", tip, "-m", fields[3]], environment: environment)
        }
        return tip
    }

    /// Deletes a branch if it still points at `sha`; false when it moved or is gone.
    func deleteBranch(owner: String, name: String, branch: String, at sha: String) async -> Bool {
        let output = try? await Self.run([
            "git", "-C", directory(owner: owner, name: name).path, "update-ref", "-d", "refs/heads/\(branch)", sha,
        ])
        return output?.status == 0
    }

    /// The subjects of the commits in `base..head`, oldest first.
    func subjects(owner: String, name: String, base: String, head: String) async throws -> [String] {
        try await git([
            "-C", directory(owner: owner, name: name).path, "log", "--reverse", "--format=%s", "\(base)..\(head)", "--",
        ]).split(separator: "\n").map(String.init)
    }
}
