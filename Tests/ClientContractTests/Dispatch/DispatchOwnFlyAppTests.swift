import Foundation
import PorterEmulators
import PorterKit
import PorterTestSupport
import Testing

/// A task in the requester's own Fly app, whose Machines they can read, runs on their own keys only.
@Suite struct DispatchOwnFlyAppTests {
    static let flyToken = "FlyV1 fm2_bobtoken0123456789abcdefghijklm"
    static let anthropicKey = "sk-ant-api03-bob0123456789abcdefghijklmnopq"

    static func options() -> DispatchWorld.Options {
        var options = DispatchWorld.Options()
        options.defaultKeys = ["ANTHROPIC_API_KEY"]
        return options
    }

    static func attempt(_ world: DispatchWorld, _ id: UUID) async throws -> (String?, String, Bool?)? {
        try await world.database.query(
            """
            SELECT key_source, fly_app, requester_fly_app FROM tasks JOIN task_attempts ON task_id = tasks.id
            WHERE tasks.id = \(id)
            """
        ).collect().first?.decode((String?, String, Bool?).self)
    }

    @Test func withTheirOwnFlyAppAndNoKeyTheRequesterIsToldWhichKeyToAdd() async throws {
        try await DispatchWorld.run { world in
            world.emulator.setRole(owner: "acme", repo: "widgets", user: "bob", role: "write")
            world.fly.addToken(Self.flyToken, scope: .organization(FlyHarness.org))
            try await world.signUp(
                "bob", secrets: ["FLY_API_TOKEN": Self.flyToken], flyApp: "bob-workers", flyOrg: FlyHarness.org)
            let id = try await world.request(by: "bob", agent: .claude)
            try await world.settle(world.dispatcher(Self.options()))

            #expect(
                try await world.status(id) == (
                    "failed", "no ANTHROPIC_API_KEY for claude in the requester's own Fly app"
                ))
            let reply = try #require(world.comments.first { $0.contains("needs `ANTHROPIC_API_KEY`") })
            #expect(
                reply.contains("Your tasks run in your own Fly.io app, which the operator's keys are never sent to"))
            #expect(reply.contains("https://porter.example.com/settings"))
            #expect(world.fly.machines.isEmpty)
            #expect(world.secrets.accesses == ["names:501"])
        }
    }

    @Test func withTheirOwnFlyAppAndKeyTheRequesterRunsThereOnIt() async throws {
        try await DispatchWorld.run { world in
            world.emulator.setRole(owner: "acme", repo: "widgets", user: "bob", role: "write")
            world.fly.addToken(Self.flyToken, scope: .organization(FlyHarness.org))
            try await world.signUp(
                "bob", secrets: ["FLY_API_TOKEN": Self.flyToken, "ANTHROPIC_API_KEY": Self.anthropicKey],
                flyApp: "bob-workers", flyOrg: FlyHarness.org)
            let id = try await world.request(by: "bob", agent: .claude)
            try await world.settle(world.dispatcher(Self.options()))

            #expect(try await world.status(id).0 == "running")
            #expect(world.fly.machines.map(\.app) == ["bob-workers"])
            let attempt = try #require(try await Self.attempt(world, id))
            #expect(attempt == ("user", "bob-workers", true))
        }
    }

    @Test func onTheOperatorsAppAnAccountWithoutKeysRunsOnTheOperatorsKeys() async throws {
        try await DispatchWorld.run { world in
            world.emulator.setRole(owner: "acme", repo: "widgets", user: "bob", role: "write")
            try await world.signUp("bob")
            let id = try await world.request(by: "bob", agent: .claude)
            try await world.settle(world.dispatcher(Self.options()))

            #expect(try await world.status(id).0 == "running")
            #expect(world.fly.machines.map(\.app) == [FlyHarness.app])
            let attempt = try #require(try await Self.attempt(world, id))
            #expect(attempt == ("operator", FlyHarness.app, false))
        }
    }

    /// Admitted on the operator's keys; before its worker exists the requester stores a Fly token.
    @Test func aRequesterWhoMovesToTheirOwnFlyAppBeforeTheWorkerStartsNeedsTheirOwnKey() async throws {
        try await DispatchWorld.run { world in
            world.emulator.setRole(owner: "acme", repo: "widgets", user: "bob", role: "write")
            try await world.signUp("bob", flyApp: "bob-workers", flyOrg: FlyHarness.org)
            world.fly.faults.add(
                .init(method: "POST", pathPrefix: "/v1/apps/\(FlyHarness.app)/machines", status: 503, remaining: 100))
            let id = try await world.request(by: "bob", agent: .claude)
            let dispatcher = world.dispatcher(Self.options())
            try await world.settle(dispatcher)
            #expect(try await world.status(id).0 == "dispatching")

            world.fly.addToken(Self.flyToken, scope: .organization(FlyHarness.org))
            try await world.secrets.put(userID: 501, name: "FLY_API_TOKEN", value: Self.flyToken)
            world.fly.faults.reset()
            try await world.database.query("UPDATE jobs SET run_after = now()")
            try await world.settle(dispatcher)

            #expect(
                try await world.status(id) == (
                    "failed", "no ANTHROPIC_API_KEY for claude in the requester's own Fly app"
                ))
            #expect(world.comments.contains { $0.contains("Your tasks run in your own Fly.io app") })
            #expect(world.fly.machines.isEmpty)
        }
    }
}
