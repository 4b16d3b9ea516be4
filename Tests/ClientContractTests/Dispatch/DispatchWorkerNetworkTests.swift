import Foundation
import PorterEmulators
import PorterKit
import PorterTestSupport
import Testing

/// A worker app Porter creates is on a private network of its own: the code a worker runs cannot
/// reach Porter's services or database over the org's default network, nor another worker app.
@Suite struct DispatchWorkerNetworkTests {
    /// Porter's own services (and its database) as an operator deploys them: on the org's default network.
    static let porterServices = "porter-services"

    static func options(app: String) -> DispatchWorld.Options {
        var options = DispatchWorld.Options()
        options.defaultKeys = ["ANTHROPIC_API_KEY"]
        options.operatorFlyApp = app
        return options
    }

    @Test func theOperatorsWorkerAppPorterCreatesIsNotOnPortersNetwork() async throws {
        try await DispatchWorld.run { world in
            world.fly.addApp(Self.porterServices, org: FlyHarness.org)
            world.emulator.setRole(owner: "acme", repo: "widgets", user: "bob", role: "write")
            try await world.signUp("bob")
            let id = try await world.request(by: "bob", agent: .claude)
            try await world.settle(world.dispatcher(Self.options(app: "acme-porter-workers")))

            #expect(try await world.status(id).0 == "running")
            #expect(world.fly.machines.map(\.app) == ["acme-porter-workers"])
            let network = try #require(world.fly.network(ofApp: "acme-porter-workers"))
            #expect(network == "porter-workers-acme-porter-workers")
            #expect(world.fly.network(ofApp: Self.porterServices) == nil)
            #expect(!world.fly.sharePrivateNetwork("acme-porter-workers", Self.porterServices))
        }
    }

    @Test func aRequestersOwnWorkerAppGetsANetworkOfItsOwnToo() async throws {
        let flyToken = DispatchOwnFlyAppTests.flyToken
        try await DispatchWorld.run { world in
            world.fly.addApp(Self.porterServices, org: FlyHarness.org)
            world.emulator.setRole(owner: "acme", repo: "widgets", user: "bob", role: "write")
            world.fly.addToken(flyToken, scope: .organization(FlyHarness.org))
            try await world.signUp(
                "bob", secrets: ["FLY_API_TOKEN": flyToken, "ANTHROPIC_API_KEY": DispatchOwnFlyAppTests.anthropicKey],
                flyApp: "bob-workers", flyOrg: FlyHarness.org)
            world.emulator.setRole(owner: "acme", repo: "widgets", user: "carol", role: "write")
            let issue = world.emulator.addIssue(owner: "acme", repo: "widgets", title: "Slow search", author: "carol")
            try await world.signUp("carol", id: 502)
            let bobs = try await world.request(by: "bob", agent: .claude)
            let carols = try await world.request(by: "carol", agent: .claude, issue: issue, userID: 502)
            try await world.settle(world.dispatcher(Self.options(app: "acme-porter-workers")))

            #expect(try await world.status(bobs).0 == "running")
            #expect(try await world.status(carols).0 == "running")
            #expect(Set(world.fly.machines.map(\.app)) == ["bob-workers", "acme-porter-workers"])
            #expect(world.fly.network(ofApp: "bob-workers") == "porter-workers-bob-workers")
            // Bob's workers reach neither Porter nor the workers of other people's tasks.
            #expect(!world.fly.sharePrivateNetwork("bob-workers", Self.porterServices))
            #expect(!world.fly.sharePrivateNetwork("bob-workers", "acme-porter-workers"))
        }
    }
}
