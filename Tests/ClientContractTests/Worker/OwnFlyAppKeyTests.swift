import Foundation
import PorterEmulators
import PorterKit
import PorterTestSupport
import Testing

/// Through the real dispatcher and callback-receiver: the operator's provider keys never reach a worker
/// in the requester's own Fly app, whose Machines' environment and memory the requester can read.
@Suite struct OwnFlyAppKeyTests {
    static let flyToken = "FlyV1 fm2_alicetoken0123456789abcdefghij"
    static let aliceKey = "sk-ant-api03-alice0123456789abcdefghijklmnop"
    static let operatorKey = CallbackWorld.operatorKeys["ANTHROPIC_API_KEY"]!

    /// Alice signs up with `secrets`; with a Fly token her tasks run in her own app, `alice-workers`.
    static func signUp(_ world: CallbackWorld, secrets: [String: String]) async throws {
        if secrets["FLY_API_TOKEN"] != nil {
            world.dispatch.fly.addToken(flyToken, scope: .organization(FlyHarness.org))
        }
        try await world.dispatch.signUp("alice", secrets: secrets, flyApp: "alice-workers", flyOrg: FlyHarness.org)
    }

    static func spec(_ world: CallbackWorld, _ id: UUID) async throws -> (status: Int, body: String) {
        try await world.call(.GET, world.attemptPath(id) + "/spec", token: try await world.token(id))
    }

    @Test func aUserWithTheirOwnFlyTokenAndNoKeyGetsTheMissingKeyReplyAndNoOperatorKey() async throws {
        try await CallbackWorld.run { world in
            try await Self.signUp(world, secrets: ["FLY_API_TOKEN": Self.flyToken])
            let id = try await world.start(script: "fix it", agent: .claude, image: "sleeper")

            #expect(
                try await world.dispatch.status(id)
                    == ("failed", "no ANTHROPIC_API_KEY for claude in the requester's own Fly app"))
            #expect(
                world.dispatch.comments.contains {
                    $0.contains("`claude` needs `ANTHROPIC_API_KEY`. Your tasks run in your own Fly.io app")
                })
            #expect(world.dispatch.fly.machines.isEmpty)
            #expect(!(try await world.everythingWritten(id)).contains(Self.operatorKey))
            #expect(!world.dispatch.secrets.accesses.contains { $0.hasPrefix("value:501:ANTHROPIC") })
        }
    }

    @Test func aUserOnTheOperatorsAppStillRunsOnTheOperatorsKeys() async throws {
        try await CallbackWorld.run { world in
            try await Self.signUp(world, secrets: [:])
            let id = try await world.start(script: "fix it", agent: .claude, image: "sleeper")

            #expect(try await world.dispatch.status(id).0 == "running")
            #expect(world.dispatch.fly.machines.map(\.app) == [FlyHarness.app])
            let served = try await Self.spec(world, id)
            #expect(served.status == 200)
            let spec = try CallbackReceiverTests.json(served.body)
            #expect(spec["env"] as? [String: String] == CallbackWorld.operatorKeys)
        }
    }

    @Test func aUserWithTheirOwnFlyAppAndKeyIsServedTheirKeyAlone() async throws {
        try await CallbackWorld.run { world in
            try await Self.signUp(world, secrets: ["FLY_API_TOKEN": Self.flyToken, "ANTHROPIC_API_KEY": Self.aliceKey])
            let id = try await world.start(script: "fix it", agent: .claude, image: "sleeper")

            #expect(try await world.dispatch.status(id).0 == "running")
            #expect(world.dispatch.fly.machines.map(\.app) == ["alice-workers"])
            let served = try await Self.spec(world, id)
            #expect(served.status == 200)
            let spec = try CallbackReceiverTests.json(served.body)
            #expect(spec["env"] as? [String: String] == ["ANTHROPIC_API_KEY": Self.aliceKey])
            #expect(!served.body.contains(Self.operatorKey))
        }
    }

    /// Defence in depth, as if a dispatcher had got it wrong: a running task on the operator's keys whose
    /// attempt is recorded in the requester's own app, or whose attempt predates that record and whose
    /// requester has their own Fly token, is refused the operator's keys and ends saying why.
    @Test(arguments: ["recorded", "before the record"])
    func anAttemptInTheRequestersOwnAppIsNeverServedTheOperatorsKeys(how: String) async throws {
        try await CallbackWorld.run { world in
            try await Self.signUp(world, secrets: [:])
            let id = try await world.start(script: "fix it", agent: .claude, image: "sleeper")
            #expect(try await world.dispatch.status(id).0 == "running")
            if how == "recorded" {
                try await world.database.query(
                    "UPDATE task_attempts SET requester_fly_app = true WHERE task_id = \(id)")
            } else {
                try await world.database.query(
                    "UPDATE task_attempts SET requester_fly_app = NULL WHERE task_id = \(id)")
                try await world.dispatch.secrets.put(userID: 501, name: "FLY_API_TOKEN", value: Self.flyToken)
            }

            let refused = try await Self.spec(world, id)
            #expect(refused.status == 409)
            #expect(refused.body.contains("the worker runs in your own Fly.io app"))
            #expect(!refused.body.contains(Self.operatorKey))
            try await world.deliver()
            #expect(try await world.dispatch.status(id).0 == "failed")
            #expect(
                world.dispatch.comments.contains {
                    $0.contains("could not prepare the worker: the worker runs in your own Fly.io app")
                })
            #expect(!(try await world.everythingWritten(id)).contains(Self.operatorKey))
        }
    }
}
