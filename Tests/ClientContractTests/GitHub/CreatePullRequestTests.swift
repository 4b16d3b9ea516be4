import Foundation
import PorterEmulators
import PorterKit
import Testing

@Suite struct CreatePullRequestTests {
    @Test func aLostCreateAnswerStillYieldsExactlyOnePullRequest() async throws {
        let world = try await GitHubWorld.make()
        let id = world.installationID
        let emulator = world.emulator
        emulator.faults.add(
            .init(
                method: "POST", pathPrefix: "/repos/acme/widgets/pulls", status: 502, remaining: 1, afterHandling: true)
        )
        let pull = try await world.live { github, port in
            let token = try await github.narrowedInstallationToken(
                installationID: id, repositories: ["widgets"], permissions: ["contents": "write"])
            try await GitCLI.pushBranch(
                from: "http://x-access-token:\(token.token)@127.0.0.1:\(port)/acme/widgets.git", base: "main",
                branch: "porter/task-7", files: ["fix.txt": "fixed\n"])
            return try await github.createPullRequest(
                installationID: id, owner: "acme", repo: "widgets",
                NewPullRequest(title: "Fix the flaky login test", head: "porter/task-7", base: "main"))
        }
        #expect(emulator.faults.injectedCount == 1)
        let pulls = emulator.pullRequests(owner: "acme", repo: "widgets")
        #expect(pulls.count == 1)
        #expect(pulls.first?.number == pull.number && pull.head.ref == "porter/task-7")
    }

    @Test func mergeAndCloseChangeTheStateGitHubReports() async throws {
        let world = try await GitHubWorld.make()
        let id = world.installationID
        let (merged, closed, result, main) = try await world.live { github, port in
            let token = try await github.narrowedInstallationToken(
                installationID: id, repositories: ["widgets"], permissions: ["contents": "write"])
            let url = "http://x-access-token:\(token.token)@127.0.0.1:\(port)/acme/widgets.git"
            try await GitCLI.pushBranch(from: url, base: "main", branch: "porter/a", files: ["a.txt": "a\n"])
            try await GitCLI.pushBranch(from: url, base: "main", branch: "porter/b", files: ["b.txt": "b\n"])
            let first = try await github.createPullRequest(
                installationID: id, owner: "acme", repo: "widgets",
                NewPullRequest(title: "A", head: "porter/a", base: "main"))
            let second = try await github.createPullRequest(
                installationID: id, owner: "acme", repo: "widgets",
                NewPullRequest(title: "B", head: "porter/b", base: "main"))
            let result = try await github.mergePullRequest(
                installationID: id, owner: "acme", repo: "widgets", number: first.number)
            try await github.closePullRequest(installationID: id, owner: "acme", repo: "widgets", number: second.number)
            return (
                try await github.pullRequest(installationID: id, owner: "acme", repo: "widgets", number: first.number),
                try await github.pullRequest(installationID: id, owner: "acme", repo: "widgets", number: second.number),
                result,
                try await github.branchHead(installationID: id, owner: "acme", repo: "widgets", branch: "main")
            )
        }
        #expect(result.merged && merged.merged == true && main == result.sha)
        #expect(closed.state == "closed" && closed.merged == false)
        #expect(world.emulator.pullRequests(owner: "acme", repo: "widgets").map(\.merged) == [true, false])
    }
}
