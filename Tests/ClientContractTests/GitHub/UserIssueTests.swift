import Foundation
import PorterEmulators
import PorterKit
import Testing

/// Listing a repository's issues and opening one with a user's token: GitHub's shapes, and its
/// rules for user-to-server tokens (only where the App is installed and the user has access).
@Suite struct UserIssueTests {
    @Test func openIssuesAreListedNewestFirstWithoutClosedOnes() async throws {
        let world = try await GitHubWorld.make()
        let emulator = world.emulator
        emulator.setRole(owner: "acme", repo: "widgets", user: "octo", role: "write")
        emulator.addIssue(owner: "acme", repo: "widgets", title: "Second", body: nil, author: "octo")
        emulator.addIssue(owner: "acme", repo: "widgets", title: "Third", author: "octocat")
        try await emulator.closeIssue(owner: "acme", repo: "widgets", number: 2, by: "octo")
        let token = emulator.userToken(for: "octo")
        let issues = try await world.live { github, _ in
            try await github.openIssues(token: token, owner: "acme", repo: "widgets")
        }
        #expect(issues.map(\.number) == [3, 1])
        #expect(issues.map(\.title) == ["Third", "Flaky login test"])
        #expect(issues.allSatisfy { $0.state == "open" && $0.pullRequest == nil })
    }

    @Test func theListTakesGitHubsFiltersAndRefusesOthers() async throws {
        let world = try await GitHubWorld.make()
        let emulator = world.emulator
        emulator.addIssue(owner: "acme", repo: "widgets", title: "Second", author: "octocat")
        try await emulator.closeIssue(owner: "acme", repo: "widgets", number: 1, by: "octocat")
        let id = world.installationID
        struct Listed: Decodable {
            var number: Int
            var state: String
            var closedAt: String?
        }
        let (all, closed, refused) = try await world.live { github, _ in
            let list = { (query: String) in
                try await github.send(
                    APIRequest(.GET, "/repos/acme/widgets/issues?\(query)", operation: "list"), as: .installation(id)
                ).decode([Listed].self, api: "github", operation: "list")
            }
            var refused: Int?
            do { _ = try await list("state=sideways") } catch let error as APIError { refused = error.statusCode }
            return (try await list("state=all&direction=asc"), try await list("state=closed"), refused)
        }
        #expect(all.map(\.number) == [1, 2])
        #expect(closed.map(\.number) == [1])
        #expect(closed.first?.state == "closed" && closed.first?.closedAt != nil)
        #expect(all.last?.closedAt == nil)
        #expect(refused == 422)
    }

    @Test func anIssueOpenedWithAUserTokenIsTheirsThroughTheApp() async throws {
        let world = try await GitHubWorld.make()
        let emulator = world.emulator
        // Opening an issue needs only read access; Porter's own check for write comes before it.
        emulator.setRole(owner: "acme", repo: "widgets", user: "reader", role: "read")
        let token = emulator.userToken(for: "reader")
        let (created, fetched) = try await world.live { github, _ in
            let created = try await github.createIssue(
                token: token, owner: "acme", repo: "widgets", title: "Add dark mode", body: "Please <b>do</b>.")
            return (
                created,
                try await github.issue(as: .user(token: token), owner: "acme", repo: "widgets", number: created.number)
            )
        }
        #expect(created.number == 2 && created.title == "Add dark mode" && created.state == "open")
        #expect(created.user.login == "reader")
        #expect(fetched == created)
        let stored = try #require(emulator.issues(owner: "acme", repo: "widgets").last)
        #expect(stored.author == "reader" && stored.viaApp && stored.body == "Please <b>do</b>.")
    }

    @Test func aUserTokenReachesOnlyRepositoriesTheUserAndTheAppBothReach() async throws {
        let world = try await GitHubWorld.make()
        let emulator = world.emulator
        try await emulator.addRepository(owner: "elsewhere", name: "tools")
        emulator.setRole(owner: "elsewhere", repo: "tools", user: "octo", role: "admin")
        let token = emulator.userToken(for: "octo")
        let statuses = try await world.live { github, _ in
            var statuses: [String: Int] = [:]
            for (name, owner, repo) in [
                ("private, no role", "acme", "widgets"), ("no installation", "elsewhere", "tools"),
                ("no such repository", "acme", "nothing"),
            ] {
                do {
                    _ = try await github.createIssue(token: token, owner: owner, repo: repo, title: "Hello", body: nil)
                } catch let error as APIError {
                    statuses[name] = error.statusCode
                }
                do {
                    _ = try await github.openIssues(token: token, owner: owner, repo: repo)
                } catch let error as APIError {
                    statuses[name + " list"] = error.statusCode
                }
            }
            return statuses
        }
        #expect(statuses.values.allSatisfy { $0 == 404 }, "\(statuses)")
        #expect(statuses.count == 6)
        #expect(emulator.issues(owner: "acme", repo: "widgets").map(\.number) == [1])
        #expect(emulator.issues(owner: "elsewhere", repo: "tools").isEmpty)
    }

    @Test func aNewIssueWithoutATitleIsRefused() async throws {
        let world = try await GitHubWorld.make()
        world.emulator.setRole(owner: "acme", repo: "widgets", user: "octo", role: "write")
        let token = world.emulator.userToken(for: "octo")
        let status = try await world.live { github, _ in
            do {
                _ = try await github.createIssue(token: token, owner: "acme", repo: "widgets", title: "  ", body: nil)
                return 201
            } catch let error as APIError {
                return error.statusCode ?? 0
            }
        }
        #expect(status == 422)
        #expect(world.emulator.issues(owner: "acme", repo: "widgets").count == 1)
    }
}
