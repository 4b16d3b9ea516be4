import Foundation
import PorterEmulators
import PorterKit
import Testing

@Suite struct GitHubRateLimitTests {
    @Test func aRateLimitStormEndsInSuccessWithoutExceedingOneMutationPerSecond() async throws {
        let world = try await GitHubWorld.make()
        let emulator = world.emulator
        emulator.enforcesMutationLimit = true
        emulator.faults.add(
            .init(
                method: "POST", pathPrefix: "/repos/acme/widgets/issues/1/comments", status: 429,
                headers: ["Retry-After": "1"], remaining: 2))
        emulator.faults.add(
            .init(
                method: "POST", pathPrefix: "/repos/acme/widgets/issues/1/labels", status: 403,
                body: #"{"message":"You have exceeded a secondary rate limit."}"#, remaining: 1))
        emulator.faults.add(
            .init(method: "GET", pathPrefix: "/repos/acme/widgets/issues/1", status: 503, remaining: 2))
        let id = world.installationID
        let comments = try await world.live { github, _ in
            let github = {
                var client = github
                // The injected secondary limit names no wait; GitHub's own minimum is a minute.
                client.maxRateLimitWait = .seconds(2)
                return client
            }()
            return try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<3 {
                    group.addTask {
                        try await github.createIssueComment(
                            installationID: id, owner: "acme", repo: "widgets", issue: 1, body: "update \(index)"
                        ).id
                    }
                }
                group.addTask {
                    try await github.addLabels(
                        installationID: id, owner: "acme", repo: "widgets", issue: 1, labels: ["porter"]
                    )
                    .count
                }
                group.addTask {
                    try await github.issue(installationID: id, owner: "acme", repo: "widgets", number: 1).number
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
        }
        #expect(comments.count == 5)
        #expect(emulator.comments(owner: "acme", repo: "widgets", issue: 1).count == 3)
        #expect(emulator.labels(owner: "acme", repo: "widgets", issue: 1) == ["porter"])
        #expect(emulator.faults.injectedCount == 5)
        #expect(emulator.mutationLimitViolations == 0)
        // Every mutating call that reached the API came at least ~a second after the one before.
        let arrivals = emulator.mutatingCalls(installationID: id)
        #expect(arrivals.count == 4)
        #expect(zip(arrivals, arrivals.dropFirst()).allSatisfy { $1 - $0 >= .milliseconds(950) })
    }
}
