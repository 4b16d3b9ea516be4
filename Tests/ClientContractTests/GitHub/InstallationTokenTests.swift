import AsyncHTTPClient
import Foundation
import PorterEmulators
import PorterKit
import Testing

@Suite struct InstallationTokenTests {
    @Test func concurrentCallersShareOneTokenRequest() async throws {
        let world = try await GitHubWorld.make()
        let installation = world.installationID
        let branches = try await world.live { github, _ in
            try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        try await github.repository(installationID: installation, owner: "acme", repo: "widgets")
                            .defaultBranch
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
        }
        #expect(branches == Array(repeating: "main", count: 8))
        #expect(world.emulator.tokenMintCount(installationID: installation) == 1)
    }

    @Test func aRevokedTokenIsReplacedWithExactlyOneRefresh() async throws {
        let world = try await GitHubWorld.make()
        let installation = world.installationID
        let emulator = world.emulator
        let titles = try await world.live { github, _ in
            _ = try await github.issue(installationID: installation, owner: "acme", repo: "widgets", number: 1)
            for token in emulator.liveTokens(installationID: installation) { emulator.revoke(token: token) }
            return try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        try await github.issue(installationID: installation, owner: "acme", repo: "widgets", number: 1)
                            .title
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
        }
        #expect(titles.count == 4 && titles.allSatisfy { $0 == "Flaky login test" })
        #expect(emulator.tokenMintCount(installationID: installation) == 2)
    }

    @Test func narrowedTokensReachOnlyTheirRepositoryAndAreNeverCached() async throws {
        let world = try await GitHubWorld.make()
        let installation = world.installationID
        let (statuses, narrowed) = try await world.live { github, port in
            let narrowed = try await github.narrowedInstallationToken(
                installationID: installation, repositories: ["gadgets"], permissions: ["contents": "write"])
            // The broad token is minted separately and still reaches every repository.
            _ = try await github.repository(installationID: installation, owner: "acme", repo: "widgets")
            var statuses: [UInt] = []
            for repo in ["gadgets", "widgets"] {
                var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/repos/acme/\(repo)")
                request.headers.add(name: "Authorization", value: "Bearer \(narrowed.token)")
                statuses.append(try await HTTPClient.shared.execute(request, timeout: .seconds(10)).status.code)
            }
            return (statuses, narrowed)
        }
        #expect(narrowed.token.hasPrefix("ghs_"))
        #expect(statuses == [200, 404])
        #expect(world.emulator.tokenMintCount(installationID: installation) == 2)
    }

    @Test func narrowingBeyondTheInstallationIsRefused() async throws {
        let world = try await GitHubWorld.make()
        let installation = world.installationID
        await #expect(throws: APIError.self) {
            try await world.live { github, _ in
                try await github.narrowedInstallationToken(
                    installationID: installation, repositories: ["elsewhere"], permissions: ["contents": "write"])
            }
        }
    }
}
