import Foundation
import Hummingbird
import HummingbirdTesting
import PorterEmulators
import PorterKit
import PorterTestSupport
import PostgresNIO
import Testing
import _CryptoExtras

/// What a commenter without write access can make the App write, tried as an attacker would: comments
/// on the GitHub emulator become signed webhooks to the real webhook-gateway binary, and the real
/// dispatcher binary answers them on the emulator. Such a commenter gets at most one reply per issue per
/// day, changes no label, and gets no `help` unless the operator opted in.
@Suite(.timeLimit(.minutes(3))) struct OutsiderEndToEndTests {
    @Test func anOutsiderGetsOneReplyAnIssueADayAndChangesNoLabel() async throws {
        try await OutsiderWorld.run { world in
            let issue = world.issue("Outsider runs twice")
            let first = try await world.comment(issue, by: "mallory", "@porter claude rewrite everything")
            let second = try await world.comment(issue, by: "mallory", "@porter codex delete the tests")
            try await world.settled("both tasks ended failed") {
                try await world.count("tasks", "status = 'failed' AND issue_number = \(issue)") == 2
            }

            let replies = world.porterComments(issue)
            #expect(replies.count == 1, "\(replies)")
            #expect(
                replies.first?.contains("@mallory Porter runs tasks only for people with write, maintain or admin")
                    == true)
            #expect(world.github.labels(owner: "acme", repo: "widgets", issue: issue).isEmpty)
            #expect(
                world.github.reactions(commentID: first).isEmpty && world.github.reactions(commentID: second).isEmpty)
            let reasons = try await world.database.query(
                "SELECT status_reason FROM tasks WHERE issue_number = \(issue)"
            ).collect().map { try $0.decode(String?.self) }
            #expect(reasons == ["@mallory has read permission", "@mallory has read permission"])
        }
    }

    @Test func helpAnswersOnlyThoseWhoMayRunTasksAndUnknownFlagsFromOutsidersOnceADay() async throws {
        try await OutsiderWorld.run { world in
            let help = world.issue("Who may ask for help")
            try await world.comment(help, by: "mallory", "@porter help")
            try await world.settled("the outsider's help was decided") {
                try await world.count("github_side_effects", "result ? 'withheld'") == 1
            }
            #expect(world.porterComments(help).isEmpty, "no help for an outsider by default")

            try await world.comment(help, by: "alice", "@porter help")
            try await world.settled("the writer's help was posted") { world.porterComments(help).count == 1 }
            #expect(world.porterComments(help).first?.contains("turns a comment into a pull request") == true)

            let flags = world.issue("Unknown flags")
            for _ in 0..<3 { try await world.comment(flags, by: "mallory", "@porter claude --turbo go") }
            try await world.settled("the three answers were decided") {
                try await world.count("github_side_effects", "payload->>'issueNumber' = '\(flags)'") == 3
            }
            let replies = world.porterComments(flags)
            #expect(replies.count == 1, "\(replies)")
            #expect(replies.first?.contains("`--turbo` is not a flag Porter knows") == true)
            #expect(world.github.labels(owner: "acme", repo: "widgets", issue: flags).isEmpty)
        }
    }

    @Test func withTheOptInAnOutsiderGetsHelpWithinTheirOneReplyADay() async throws {
        try await OutsiderWorld.run(gateway: ["PORTER_HELP_FOR_EVERYONE": "true"]) { world in
            let issue = world.issue("Help for everyone")
            try await world.comment(issue, by: "mallory", "@porter help")
            try await world.comment(issue, by: "mallory", "@porter help")
            try await world.settled("both answers were decided") {
                try await world.count("github_side_effects", "payload->>'issueNumber' = '\(issue)'") == 2
            }
            let replies = world.porterComments(issue)
            #expect(replies.count == 1, "\(replies)")
            #expect(replies.first?.contains("turns a comment into a pull request") == true)
        }
    }

    @Test func aPermissionGitHubCannotGiveMeansNoReplyForThatOutsider() async throws {
        try await OutsiderWorld.run { world in
            world.github.faults.add(
                .init(method: "GET", pathPrefix: "/repos/acme/widgets/collaborators/mallory", status: 502))
            let issue = world.issue("GitHub is down")
            try await world.comment(issue, by: "mallory", "@porter claude go")
            try await world.comment(issue, by: "mallory", "@porter claude --turbo go")
            try await world.comment(issue, by: "mallory", "@porter help")
            // The dispatcher tried the task's permission check, the deliverer the replies', and all failed.
            try await OutsiderWorld.eventually("every permission check failed at least once") {
                let dispatch = try await world.count(
                    "jobs", "kind = 'dispatch' AND last_error LIKE '%permission check%'")
                let replies = try await world.count(
                    "github_side_effects", "state = 'pending' AND last_error IS NOT NULL")
                return dispatch == 1 && replies == 2
            }
            #expect(world.porterComments(issue).isEmpty)
            #expect(world.github.labels(owner: "acme", repo: "widgets", issue: issue).isEmpty)
            #expect(try await world.count("tasks", "status = 'queued'") == 1, "the task waits for GitHub to answer")
        }
    }
}

/// acme/widgets on the GitHub emulator, where alice may write and mallory only read, with the real
/// gateway and dispatcher binaries on one database.
struct OutsiderWorld: Sendable {
    let github: GitHubEmulator
    let database: PostgresClient

    static func run(
        gateway settings: [String: String] = [:], _ body: @escaping @Sendable (OutsiderWorld) async throws -> Void
    ) async throws {
        let publicKey = try _RSA.Signing.PrivateKey(pemRepresentation: ServiceEnvironment.appPrivateKeyPEM).publicKey
        let github = try GitHubEmulator(
            app: EmulatedGitHubApp(id: 12345, slug: "porter", publicKeyPEM: publicKey.pemRepresentation))
        _ = try await github.addRepository(owner: "acme", name: "widgets", isPrivate: false)
        _ = github.addInstallation(account: "acme")
        github.setRole(owner: "acme", repo: "widgets", user: "alice", role: "write")
        github.setRole(owner: "acme", repo: "widgets", user: "mallory", role: "read")
        try await TestDatabase.withClient { database, url in
            try await Application(router: github.router()).test(.live) { githubClient in
                github.baseURL = "http://127.0.0.1:\(githubClient.port!)"
                let gatewayPort = try ServiceProcess.freePort()
                var gatewayEnv = ServiceEnvironment.minimal(for: "webhook-gateway", database: url, port: gatewayPort)
                gatewayEnv["GITHUB_APP_SLUG"] = "porter"
                gatewayEnv.merge(settings) { $1 }
                let gateway = try ServiceProcess.start("webhook-gateway", environment: gatewayEnv, port: gatewayPort)
                defer { gateway.terminate() }
                var dispatcherEnv = ServiceEnvironment.minimal(
                    for: "dispatcher", database: url, port: try ServiceProcess.freePort())
                dispatcherEnv.merge([
                    "GITHUB_API_URL": github.baseURL, "GITHUB_URL": github.baseURL,
                    "PORTER_WORKER_COMMAND": "/bin/sleep 300",
                    "PORTER_DEFAULT_ANTHROPIC_API_KEY": "sk-ant-api03-operator0123456789abcdefghijkl",
                ]) { $1 }
                let dispatcher = try ServiceProcess.start("dispatcher", environment: dispatcherEnv)
                defer { dispatcher.terminate() }
                try await gateway.waitUntilServing()
                github.configureWebhooks(
                    url: "http://127.0.0.1:\(gatewayPort)/webhooks/github", secret: "test-webhook-secret")
                try await body(OutsiderWorld(github: github, database: database))
            }
        }
    }

    func issue(_ title: String) -> Int {
        github.addIssue(owner: "acme", repo: "widgets", title: title, author: "octocat")
    }

    /// A comment on `issue`, delivered to the gateway as GitHub would; returns its id.
    @discardableResult
    func comment(_ issue: Int, by login: String, _ body: String) async throws -> Int {
        try await github.comment(owner: "acme", repo: "widgets", issue: issue, author: login, body: body)
    }

    /// What Porter posted on `issue` (every comment it writes carries its hidden marker).
    func porterComments(_ issue: Int) -> [String] {
        github.comments(owner: "acme", repo: "widgets", issue: issue).filter { $0.contains("<!-- porter:") }
    }

    func count(_ table: String, _ condition: String) async throws -> Int {
        try await database.query(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table) WHERE \(condition)"))
            .collect().first!.decode(Int.self)
    }

    /// Waits until `condition` holds and every side effect queued by then has been decided.
    func settled(_ what: String, _ condition: @escaping @Sendable () async throws -> Bool) async throws {
        try await Self.eventually(what) {
            guard try await condition() else { return false }
            return try await count("github_side_effects", "state = 'pending'") == 0
        }
    }

    /// Polls `condition` until it holds, for at most a minute: two binaries share a loaded machine.
    static func eventually(_ what: String, _ condition: @Sendable () async throws -> Bool) async throws {
        try await waitUntil(what, timeout: .seconds(60), condition)
    }
}
