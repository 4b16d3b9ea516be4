import AsyncHTTPClient
import Foundation
import PorterEmulators
import PorterKit
import Testing

@Suite struct GitHubRESTTests {
    @Test func commentsReactionsAndLabelsLandOnTheIssue() async throws {
        let world = try await GitHubWorld.make()
        let id = world.installationID
        let emulator = world.emulator
        let commentID = try await emulator.comment(
            owner: "acme", repo: "widgets", issue: 1, author: "octocat", body: "@porter claude fix it")
        let (status, labels) = try await world.live { github, _ in
            try await github.addReaction(
                installationID: id, owner: "acme", repo: "widgets", commentID: commentID, content: .eyes)
            // Reacting twice is harmless: GitHub returns the existing reaction.
            try await github.addReaction(
                installationID: id, owner: "acme", repo: "widgets", commentID: commentID, content: .eyes)
            let status = try await github.createIssueComment(
                installationID: id, owner: "acme", repo: "widgets", issue: 1, body: "Working on it")
            let edited = try await github.updateIssueComment(
                installationID: id, owner: "acme", repo: "widgets", commentID: status.id, body: "Done")
            try await github.addLabels(
                installationID: id, owner: "acme", repo: "widgets", issue: 1, labels: ["porter", "running"])
            try await github.removeLabel(installationID: id, owner: "acme", repo: "widgets", issue: 1, label: "running")
            try await github.removeLabel(installationID: id, owner: "acme", repo: "widgets", issue: 1, label: "absent")
            return (edited, emulator.labels(owner: "acme", repo: "widgets", issue: 1))
        }
        #expect(emulator.reactions(commentID: commentID) == ["eyes"])
        #expect(status.body == "Done" && status.user.login == "porter[bot]")
        #expect(emulator.comments(owner: "acme", repo: "widgets", issue: 1) == ["@porter claude fix it", "Done"])
        #expect(labels == ["porter"])
    }

    @Test func repositoryAndFileContentsComeFromTheDefaultBranch() async throws {
        let world = try await GitHubWorld.make()
        let id = world.installationID
        let metrics = ServiceMetrics(service: "test")
        let (repository, agents, claude) = try await world.live(metrics: metrics) { github, _ in
            (
                try await github.repository(installationID: id, owner: "acme", repo: "widgets"),
                try await github.fileContents(installationID: id, owner: "acme", repo: "widgets", path: "AGENTS.md"),
                try await github.fileContents(installationID: id, owner: "acme", repo: "widgets", path: "CLAUDE.md")
            )
        }
        #expect(repository.fullName == "acme/widgets" && repository.defaultBranch == "main")
        #expect(agents == "Run swift test.\n")
        #expect(claude == nil)
        #expect(metrics.render().contains(#"porter_test_github_rate_limit_remaining{resource="core"}"#))
    }

    @Test func signedInUsersSeeTheirInstallationsAndRepositories() async throws {
        let world = try await GitHubWorld.make()
        world.emulator.setRole(owner: "acme", repo: "widgets", user: "mona", role: "write")
        world.emulator.authorizingUser = "mona"
        let emulator = world.emulator
        let (user, installations, repositories) = try await world.live { github, port in
            let code = try await Self.authorize(port: port, clientID: emulator.app.clientID)
            let token = try await github.exchangeOAuthCode(
                code, clientID: emulator.app.clientID, clientSecret: Secret(emulator.app.clientSecret))
            await #expect(throws: GitHubError.self) {
                try await github.exchangeOAuthCode(
                    code, clientID: emulator.app.clientID, clientSecret: Secret(emulator.app.clientSecret))
            }
            let user = try await github.authenticatedUser(token: token.accessToken)
            let installations = try await github.userInstallations(token: token.accessToken)
            let repositories = try await github.userInstallationRepositories(
                token: token.accessToken, installationID: installations[0].id)
            return (user, installations, repositories)
        }
        #expect(user.login == "mona")
        #expect(installations.map(\.id) == [world.installationID])
        #expect(repositories.map(\.name) == ["widgets"])
    }

    /// Calls `/login/oauth/authorize` and returns the `code` from its redirect, checking `state` comes back.
    static func authorize(port: Int, clientID: String) async throws -> String {
        let client = HTTPClient(
            eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
        let request = HTTPClientRequest(
            url: "http://127.0.0.1:\(port)/login/oauth/authorize?client_id=\(clientID)"
                + "&redirect_uri=http://localhost/callback&state=xyz")
        let response = try await client.execute(request, timeout: .seconds(10))
        try await client.shutdown()
        #expect(response.status.code == 302)
        let location = try #require(response.headers.first(name: "Location").flatMap(URLComponents.init(string:)))
        #expect(location.queryItems?.first { $0.name == "state" }?.value == "xyz")
        return try #require(location.queryItems?.first { $0.name == "code" }?.value)
    }
}
