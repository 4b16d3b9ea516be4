import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import PorterEmulators
import PorterKit
import PorterProcess
import _CryptoExtras

/// One App key for the whole run: 2048-bit keys are slow to generate.
enum GitHubTestKeys {
    static let app = try! _RSA.Signing.PrivateKey(keySize: .bits2048)
    static let appID = 4242
}

/// An emulator seeded with an organization `acme` owning `widgets` and `gadgets`, the App installed on it,
/// and an issue #1 in `widgets`.
struct GitHubWorld {
    let emulator: GitHubEmulator
    let installationID: Int

    static let owner = "acme"
    static let repo = "widgets"

    static func make(
        files: [String: String] = ["README.md": "# Widgets\n", "AGENTS.md": "Run swift test.\n"]
    )
        async throws -> GitHubWorld
    {
        let emulator = try GitHubEmulator(
            app: EmulatedGitHubApp(
                id: GitHubTestKeys.appID, slug: "porter", publicKeyPEM: GitHubTestKeys.app.publicKey.pemRepresentation))
        emulator.addUser(owner, type: "Organization")
        try await emulator.addRepository(owner: owner, name: repo, defaultBranch: "main", files: files)
        try await emulator.addRepository(owner: owner, name: "gadgets", defaultBranch: "trunk")
        let installation = emulator.addInstallation(account: owner)
        emulator.addIssue(owner: owner, repo: repo, title: "Flaky login test", body: "It fails.", author: "octocat")
        return GitHubWorld(emulator: emulator, installationID: installation)
    }

    /// Serves the emulator on a loopback port and hands the body a client pointed at it.
    func live<T: Sendable>(
        pkcs8: Bool = false, metrics: ServiceMetrics? = nil,
        _ body: @Sendable @escaping (GitHubClient, Int) async throws -> T
    ) async throws -> T {
        let emulator = emulator
        return try await Application(router: emulator.router()).test(.live) { client in
            let port = client.port!
            emulator.baseURL = "http://127.0.0.1:\(port)"
            let key = GitHubTestKeys.app
            let github = GitHubClient(
                endpoints: GitHubEndpoints(
                    apiURL: URL(string: "http://127.0.0.1:\(port)")!, webURL: URL(string: "http://127.0.0.1:\(port)")!),
                app: GitHubAppCredentials(
                    appID: GitHubTestKeys.appID, slug: "porter",
                    privateKeyPEM: pkcs8 ? key.pkcs8PEMRepresentation : key.pemRepresentation),
                retry: RetryPolicy(maxAttempts: 4, baseDelay: .milliseconds(20), maxDelay: .milliseconds(200)),
                metrics: metrics, logger: Logger(label: "github-test"))
            return try await body(github, port)
        }
    }
}

/// Runs git against the emulator the way a worker Machine does, with no user or system configuration.
enum GitCLI {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    @discardableResult
    static func run(_ arguments: [String], in directory: URL? = nil) async throws -> String {
        var environment = ProcessInfo.processInfo.environment
        environment["GIT_CONFIG_NOSYSTEM"] = "1"
        environment["GIT_CONFIG_GLOBAL"] = "/dev/null"
        environment["GIT_TERMINAL_PROMPT"] = "0"
        let (status, text) = try await ProgramRun.run(
            ["/usr/bin/env", "git"] + arguments, environment: environment, in: directory)
        guard status == 0 else { throw Failure(description: "git \(arguments[0]): \(text)") }
        return text
    }

    static func scratch() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("porter-git-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Clones `url`, writes `files`, commits and pushes to `branch`.
    static func pushBranch(from url: String, base: String, branch: String, files: [String: String]) async throws {
        let work = try scratch()
        defer { try? FileManager.default.removeItem(at: work) }
        let checkout = work.appendingPathComponent("repo")
        try await run(["clone", "--quiet", "--depth", "1", "--branch", base, url, checkout.path])
        for (path, text) in files {
            try Data(text.utf8).write(to: checkout.appendingPathComponent(path))
        }
        try await run(["add", "--all"], in: checkout)
        try await run(
            ["-c", "user.name=Porter", "-c", "user.email=porter@example.com", "commit", "--quiet", "-m", "Fix it"],
            in: checkout)
        try await run(["push", "--quiet", "origin", "HEAD:\(branch)"], in: checkout)
    }
}

/// A program run to its end, its standard output and error together.
enum ProgramRun {
    /// The program ran past its `within`: it and its process group were killed.
    struct Overran: Error, CustomStringConvertible {
        var command: [String]
        var within: Duration
        var output: String
        var description: String {
            "\(command.joined(separator: " ")) still ran after \(within); its output:\n\(output)"
        }
    }

    /// Runs `command` and waits for it, at most `within` (far more than any of them needs, even on a
    /// loaded machine): a program that hangs fails its test with what it printed instead of holding
    /// the whole run.
    static func run(
        _ command: [String], environment: [String: String], in directory: URL? = nil,
        within: Duration = .seconds(180)
    ) async throws -> (Int32, String) {
        let outputURL = FileManager.default.temporaryDirectory
            .appendingPathComponent("porter-program-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: outputURL) }
        let child: ChildProcess
        do {
            let output = try FileHandle(forWritingTo: outputURL)
            defer { try? output.close() }
            child = try ChildProcess.spawn(
                command[0], arguments: Array(command.dropFirst()), environment: environment,
                directory: directory?.path, standardOutput: output.fileDescriptor,
                standardError: output.fileDescriptor)
        }
        guard let termination = await child.terminated(within: within) else {
            // The child leads its own process group: whatever it started goes with it.
            kill(-child.pid, SIGKILL)
            _ = await child.terminated()
            throw Overran(
                command: command, within: within,
                output: String(decoding: try Data(contentsOf: outputURL), as: UTF8.self))
        }
        return (termination.status, String(decoding: try Data(contentsOf: outputURL), as: UTF8.self))
    }
}
