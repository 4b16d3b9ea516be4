import Foundation
import Hummingbird
import HummingbirdTesting
import PorterEmulators
import PorterKit
import PorterTestSupport
import PostgresNIO
import Testing
import _CryptoExtras

/// `@porter stop` as a person uses it: comments on the GitHub emulator become signed webhooks to the
/// real webhook-gateway binary, and the real dispatcher binary starts, then stops, a local worker.
@Suite(.timeLimit(.minutes(3))) struct ControlEndToEndTests {
    @Test func aCommentedStopEndsTheRunningTaskAndKillsItsWorker() async throws {
        let publicKey = try _RSA.Signing.PrivateKey(pemRepresentation: ServiceEnvironment.appPrivateKeyPEM).publicKey
        let github = try GitHubEmulator(
            app: EmulatedGitHubApp(id: 12345, slug: "porter", publicKeyPEM: publicKey.pemRepresentation))
        _ = try await github.addRepository(owner: "acme", name: "widgets")
        _ = github.addInstallation(account: "acme")
        let issue = github.addIssue(owner: "acme", repo: "widgets", title: "Crash on start", author: "acme")
        try await TestDatabase.withClient { database, url in
            try await Application(router: github.router()).test(.live) { githubClient in
                github.baseURL = "http://127.0.0.1:\(githubClient.port!)"
                let gatewayPort = try ServiceProcess.freePort()
                var gatewayEnv = ServiceEnvironment.minimal(for: "webhook-gateway", database: url, port: gatewayPort)
                gatewayEnv["GITHUB_APP_SLUG"] = "porter"
                let gateway = try ServiceProcess.start("webhook-gateway", environment: gatewayEnv, port: gatewayPort)
                defer { gateway.terminate() }
                var dispatcherEnv = ServiceEnvironment.minimal(
                    for: "dispatcher", database: url, port: try ServiceProcess.freePort())
                dispatcherEnv.merge([
                    "GITHUB_API_URL": github.baseURL, "GITHUB_URL": github.baseURL,
                    // A worker that never reports: only the stop's grace period ends it.
                    "PORTER_WORKER_COMMAND": "/bin/sleep 300", "PORTER_STOP_GRACE": "1s",
                    "PORTER_DEFAULT_ANTHROPIC_API_KEY": "sk-ant-api03-operator0123456789abcdefghijkl",
                ]) { $1 }
                let dispatcher = try ServiceProcess.start("dispatcher", environment: dispatcherEnv)
                defer { dispatcher.terminate() }
                try await gateway.waitUntilServing()
                github.configureWebhooks(
                    url: "http://127.0.0.1:\(gatewayPort)/webhooks/github", secret: "test-webhook-secret")

                _ = try await github.comment(
                    owner: "acme", repo: "widgets", issue: issue, author: "acme", body: "@porter claude fix the crash")
                let running = try await Self.eventually(database) {
                    try await $0.query("SELECT id FROM tasks WHERE status = 'running'").collect().first?.decode(
                        UUID.self)
                }
                let machine = try #require(
                    try await database.query("SELECT machine_id FROM task_attempts WHERE task_id = \(running)")
                        .collect().first?.decode(String?.self) ?? nil)
                let pid = try #require(Int32(machine.dropFirst("local-".count)))
                #expect(kill(pid, 0) == 0, "the local worker runs")

                let stop = try await github.comment(
                    owner: "acme", repo: "widgets", issue: issue, author: "acme", body: "@porter stop")
                _ = try await Self.eventually(database) {
                    try await $0.query("SELECT 1 FROM tasks WHERE id = \(running) AND status = 'cancelled'").collect()
                        .first.map { _ in true }
                }
                _ = try await Self.eventually(database) { _ in
                    github.comments(owner: "acme", repo: "widgets", issue: issue).first { $0.contains("🛑 cancelled") }
                }
                _ = try await Self.eventually(database) { _ in
                    github.labels(owner: "acme", repo: "widgets", issue: issue) == ["porter:cancelled"]
                        && github.reactions(commentID: stop) == ["eyes"] ? true : nil
                }
                let status = try #require(
                    github.comments(owner: "acme", repo: "widgets", issue: issue).first { $0.contains("🛑 cancelled") })
                #expect(status.contains("Stopped by @acme."))
                #expect(github.reactions(commentID: stop) == ["eyes"])
                #expect(github.labels(owner: "acme", repo: "widgets", issue: issue) == ["porter:cancelled"])
                _ = try await Self.eventually(database) { _ in kill(pid, 0) == 0 ? nil : true }
                #expect(kill(pid, 0) != 0, "the worker process is gone")
            }
        }
    }

    /// Polls `probe` until it gives a value, for at most a minute.
    static func eventually<T>(
        _ database: PostgresClient, _ probe: (PostgresClient) async throws -> T?
    ) async throws -> T {
        let end = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < end {
            if let value = try await probe(database) { return value }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestSetupError("the condition was not met within a minute")
    }
}
