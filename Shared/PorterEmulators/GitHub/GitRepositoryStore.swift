import Foundation

/// Real bare git repositories under a temporary directory, one per emulated repository, at
/// `<root>/<owner>/<name>.git` so that `git http-backend` can serve them as they are.
final class GitRepositoryStore: Sendable {
    struct GitError: Error, CustomStringConvertible {
        var description: String
    }

    let root: URL

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("porter-github-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    func directory(owner: String, name: String) -> URL {
        root.appendingPathComponent(owner.lowercased()).appendingPathComponent("\(name.lowercased()).git")
    }

    /// Creates the bare repository and pushes one commit with `files` to `defaultBranch`.
    func create(owner: String, name: String, defaultBranch: String, files: [String: String]) async throws {
        let bare = directory(owner: owner, name: name)
        try FileManager.default.createDirectory(at: bare, withIntermediateDirectories: true)
        try await git(["init", "--quiet", "--bare", "--initial-branch", defaultBranch, bare.path])
        try await git(["-C", bare.path, "config", "http.receivepack", "true"])
        try installProtectionHook(bare)
        let work = root.appendingPathComponent("seed-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: work) }
        try await git(["init", "--quiet", "--initial-branch", defaultBranch, work.path])
        for (path, text) in files {
            let file = work.appendingPathComponent(path)
            try FileManager.default.createDirectory(
                at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: file)
        }
        try await git(["-C", work.path, "add", "--all"])
        try await git([
            "-C", work.path, "-c", "user.name=Octocat", "-c", "user.email=octocat@example.com", "commit", "--quiet",
            "--allow-empty", "-m", "Initial commit",
        ])
        try await git(["-C", work.path, "push", "--quiet", bare.path, "HEAD:refs/heads/\(defaultBranch)"])
    }

    /// The commit a branch points at, or nil when there is no such branch.
    func branchSHA(owner: String, name: String, branch: String) async -> String? {
        let bare = directory(owner: owner, name: name)
        guard
            let output = try? await Self.run([
                "git", "-C", bare.path, "rev-parse", "--verify", "--quiet", "refs/heads/\(branch)^{commit}",
            ]),
            output.status == 0
        else { return nil }
        return output.text
    }

    /// A file's bytes at `ref`, or nil when it does not exist there.
    func file(owner: String, name: String, path: String, ref: String) async -> (Data, sha: String)? {
        let bare = directory(owner: owner, name: name)
        guard
            let blob = try? await Self.run([
                "git", "-C", bare.path, "rev-parse", "--verify", "--quiet", "\(ref):\(path)",
            ]),
            blob.status == 0,
            let type = try? await Self.run(["git", "-C", bare.path, "cat-file", "-t", blob.text]), type.text == "blob",
            let content = try? await Self.run(["git", "-C", bare.path, "cat-file", "blob", blob.text]),
            content.status == 0
        else { return nil }
        return (content.stdout, blob.text)
    }

    @discardableResult
    func git(_ arguments: [String], environment: [String: String] = [:], input: Data? = nil) async throws -> String {
        let output = try await Self.run(["git"] + arguments, environment: environment, input: input)
        guard output.status == 0 else {
            throw GitError(
                description: "git \(arguments.first ?? ""): " + String(decoding: output.stderr, as: UTF8.self))
        }
        return output.text
    }

    /// Git without the user's or system's configuration, so the host's settings cannot change answers.
    static func run(
        _ arguments: [String], environment extra: [String: String] = [:], input: Data? = nil
    ) async throws -> ProcessRunner.Output {
        var environment = ProcessInfo.processInfo.environment.merging(extra) { $1 }
        environment["GIT_CONFIG_NOSYSTEM"] = "1"
        environment["GIT_CONFIG_GLOBAL"] = "/dev/null"
        environment["GIT_TERMINAL_PROMPT"] = "0"
        return try await ProcessRunner.run(arguments, environment: environment, input: input)
    }
}
