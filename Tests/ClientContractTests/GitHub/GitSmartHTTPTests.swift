import AsyncHTTPClient
import Foundation
import PorterEmulators
import PorterKit
import Testing

@Suite struct GitSmartHTTPTests {
    @Test func aMachineClonesPushesAndPorterOpensThePullRequest() async throws {
        let world = try await GitHubWorld.make()
        let id = world.installationID
        let (pull, files) = try await world.live { github, port in
            let token = try await github.narrowedInstallationToken(
                installationID: id, repositories: ["widgets"], permissions: ["contents": "write"])
            try await GitCLI.pushBranch(
                from: "http://x-access-token:\(token.token)@127.0.0.1:\(port)/acme/widgets.git", base: "main",
                branch: "porter/task-1", files: ["README.md": "# Widgets, fixed\n", "login.swift": "// fixed\n"])
            let pull = try await github.createPullRequest(
                installationID: id, owner: "acme", repo: "widgets",
                NewPullRequest(title: "Fix login", head: "porter/task-1", base: "main", body: "Closes #1"))
            let files = try await github.pullRequestFiles(
                installationID: id, owner: "acme", repo: "widgets", number: pull.number)
            return (pull, files)
        }
        #expect(pull.number == 2 && pull.base.ref == "main" && pull.head.sha.count == 40)
        #expect(files.map(\.filename).sorted() == ["README.md", "login.swift"])
        #expect(Set(files.map(\.status)) == ["modified", "added"])
    }

    @Test func tokensForAnotherRepositoryReadOnlyTokensAndNoTokenAreRefused() async throws {
        let world = try await GitHubWorld.make()
        let id = world.installationID
        let failures = try await world.live { github, port in
            let other = try await github.narrowedInstallationToken(
                installationID: id, repositories: ["gadgets"], permissions: ["contents": "write"])
            let readOnly = try await github.narrowedInstallationToken(
                installationID: id, repositories: ["widgets"], permissions: ["contents": "read"])
            var failures: [String] = []
            for (token, push) in [(other.token, false), (readOnly.token, true)] {
                let url = "http://x-access-token:\(token)@127.0.0.1:\(port)/acme/widgets.git"
                do {
                    if push {
                        try await GitCLI.pushBranch(from: url, base: "main", branch: "porter/x", files: ["x": "x"])
                    } else {
                        try await GitCLI.run(["ls-remote", url])
                    }
                } catch { failures.append("\(error)") }
            }
            var request = HTTPClientRequest(
                url: "http://127.0.0.1:\(port)/acme/widgets.git/info/refs?service=git-upload-pack")
            request.method = .GET
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            #expect(response.status.code == 401)
            #expect(response.headers.first(name: "WWW-Authenticate")?.hasPrefix("Basic") == true)
            return failures
        }
        #expect(failures.count == 2)
        #expect(failures.first?.contains("not found") == true)
        #expect(failures.last?.contains("403") == true || failures.last?.contains("denied") == true)
        #expect(world.emulator.pullRequests(owner: "acme", repo: "widgets").isEmpty)
    }
}
