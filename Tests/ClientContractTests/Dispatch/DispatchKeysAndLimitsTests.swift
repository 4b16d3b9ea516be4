import Foundation
import PorterEmulators
import PorterKit
import PorterTestSupport
import Testing

/// Whose keys a task runs on, and how tasks wait for their user's slot or their issue.
@Suite struct DispatchKeysAndLimitsTests {
    @Test func someoneWithoutAnAccountRunsOnTheOperatorsDefaultKeys() async throws {
        try await DispatchWorld.run { world in
            world.emulator.setRole(owner: "acme", repo: "widgets", user: "bob", role: "write")
            let id = try await world.request(by: "bob", agent: .codex)
            var options = DispatchWorld.Options()
            options.defaultKeys = ["OPENAI_API_KEY"]
            try await world.settle(world.dispatcher(options))

            #expect(try await world.status(id).0 == "running")
            let source = try await world.database.query("SELECT key_source FROM tasks WHERE id = \(id)").collect()
                .first?.decode(String?.self)
            #expect(source == "operator")
            #expect(world.secrets.accesses.isEmpty)
        }
    }

    @Test func someoneWithoutAnAccountOrDefaultsIsAskedToSignInAndTheTaskEndsAfterTheWait() async throws {
        try await DispatchWorld.run { world in
            world.emulator.setRole(owner: "acme", repo: "widgets", user: "bob", role: "write")
            let id = try await world.request(by: "bob")
            var options = DispatchWorld.Options()
            options.signInWait = .seconds(600)
            let dispatcher = world.dispatcher(options)
            try await world.settle(dispatcher)

            #expect(try await world.status(id) == ("queued", "waiting for sign-in"))
            #expect(world.comments.filter { $0.contains("Sign in at https://porter.example.com") }.count == 1)
            #expect(world.comments.contains { $0.contains("Waiting for the requester to sign in") })
            #expect(world.fly.machines.isEmpty)

            // Eleven minutes later, nobody has signed in.
            try await world.database.query("UPDATE tasks SET created_at = now() - interval '11 minutes'")
            try await world.database.query("UPDATE jobs SET run_after = now()")
            try await world.settle(dispatcher)
            #expect(try await world.status(id) == ("failed", "@bob did not sign in to Porter"))
            #expect(world.comments.filter { $0.contains("Sign in at") }.count == 1)
            #expect(world.labels == ["porter:failed"])
        }
    }

    @Test func anAccountWithoutTheAgentsKeyEndsWithAReplyNamingItAndWhereToSetIt() async throws {
        try await DispatchWorld.run { world in
            world.emulator.setRole(owner: "acme", repo: "widgets", user: "carol", role: "admin")
            try await world.signUp("carol", secrets: ["ANTHROPIC_API_KEY": "sk-ant-carol-0123456789abcdef"])
            let id = try await world.request(by: "carol", agent: .gemini)
            try await world.settle(world.dispatcher())

            #expect(try await world.status(id) == ("failed", "no GEMINI_API_KEY for gemini"))
            #expect(
                world.comments.contains {
                    $0.contains("`GEMINI_API_KEY`") && $0.contains("https://porter.example.com/settings")
                })
            #expect(world.fly.machines.isEmpty)
            // Only the names were read: no key was opened.
            #expect(world.secrets.accesses == ["names:501"])
        }
    }

    @Test func aUserAtTheLimitWaitsAndTheStatusCommentSaysWhy() async throws {
        try await DispatchWorld.run { world in
            world.emulator.setRole(owner: "acme", repo: "widgets", user: "alice", role: "write")
            try await world.signUp("alice", secrets: ["ANTHROPIC_API_KEY": "sk-ant-alice-0123456789abcdef"])
            let second = world.emulator.addIssue(owner: "acme", repo: "widgets", title: "Another", author: "alice")
            let first = try await world.request(by: "alice")
            let waiting = try await world.request(by: "alice", issue: second)
            var options = DispatchWorld.Options()
            options.maxActivePerUser = 1
            let dispatcher = world.dispatcher(options)
            try await world.settle(dispatcher)

            #expect(try await world.status(first).0 == "running")
            #expect(try await world.status(waiting).0 == "queued")
            let onSecond = world.emulator.comments(owner: "acme", repo: "widgets", issue: second)
            #expect(
                onSecond.contains { $0.contains("Waiting for a slot: the requester already has 1 of 1 tasks running.") }
            )
            #expect(world.fly.machines.count == 1)

            // The first one finishes (callback-receiver's move); the waiting one takes the slot.
            let tasks = PostgresTaskRepository(client: world.database, logger: TestDatabase.logger)
            #expect(try await tasks.transition(id: first, to: .succeeded, reason: "done").moved)
            try await world.database.query("UPDATE jobs SET run_after = now()")
            try await world.settle(dispatcher)
            #expect(try await world.status(waiting).0 == "running")
            #expect(world.fly.machines.count == 2)
        }
    }

    @Test func aSecondTaskOnAnIssueWaitsBehindTheActiveOneAndSaysSo() async throws {
        try await DispatchWorld.run { world in
            world.emulator.setRole(owner: "acme", repo: "widgets", user: "alice", role: "write")
            try await world.signUp("alice", secrets: ["ANTHROPIC_API_KEY": "sk-ant-alice-0123456789abcdef"])
            let first = try await world.request(by: "alice")
            let dispatcher = world.dispatcher()
            try await world.settle(dispatcher)
            let second = try await world.request(by: "alice")
            try await world.settle(dispatcher)

            #expect(try await world.status(first).0 == "running")
            #expect(try await world.status(second).0 == "queued")
            #expect(
                world.comments.contains {
                    $0.contains("Waiting for task `\(first.uuidString.lowercased())` on this issue to finish.")
                })
            #expect(world.fly.machines.count == 1)
        }
    }

    @Test func someoneWhoSignsInButHasNotAddedAKeyYetIsStillWaitedFor() async throws {
        try await DispatchWorld.run { world in
            world.emulator.setRole(owner: "acme", repo: "widgets", user: "bob", role: "write")
            let id = try await world.request(by: "bob")
            let dispatcher = world.dispatcher()
            try await world.settle(dispatcher)
            #expect(try await world.status(id) == ("queued", "waiting for sign-in"))

            try await world.signUp("bob")
            try await world.database.query("UPDATE jobs SET run_after = now()")
            try await world.settle(dispatcher)
            #expect(try await world.status(id) == ("queued", "waiting for sign-in"))

            try await world.secrets.put(userID: 501, name: "ANTHROPIC_API_KEY", value: "sk-ant-bob-0123456789abcdef")
            try await world.database.query("UPDATE jobs SET run_after = now()")
            try await world.settle(dispatcher)
            #expect(try await world.status(id).0 == "running")
        }
    }
}
