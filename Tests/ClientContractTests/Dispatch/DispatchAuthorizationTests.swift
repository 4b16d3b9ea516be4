import Foundation
import PorterEmulators
import PorterKit
import PorterTestSupport
import Testing

/// Who may run a task: write, maintain and admin; everyone else is told why and touches nothing.
@Suite struct DispatchAuthorizationTests {
    @Test(arguments: ["admin", "maintain", "write"])
    func collaboratorsWhoMayWriteGetAMachine(role: String) async throws {
        try await DispatchWorld.run { world in
            world.emulator.setRole(owner: "acme", repo: "widgets", user: "alice", role: role)
            try await world.signUp("alice", secrets: ["ANTHROPIC_API_KEY": "sk-ant-alice-0123456789abcdef"])
            let id = try await world.request(by: "alice")
            try await world.settle(world.dispatcher())

            #expect(try await world.status(id).0 == "running")
            #expect(world.fly.machines.count == 1)
            let attempt = try await world.database.query(
                "SELECT machine_id, state FROM task_attempts WHERE task_id = \(id)"
            ).collect().first?.decode((String?, String).self)
            #expect(attempt?.0 == world.fly.machines.first?.id)
            #expect(attempt?.1 == "created")
        }
    }

    @Test(arguments: ["triage", "read", "none"])
    func everyoneElseIsToldWhyAndTouchesNoKey(role: String) async throws {
        try await DispatchWorld.run { world in
            if role == "none" {
                world.emulator.addUser("mallory")
            } else {
                world.emulator.setRole(owner: "acme", repo: "widgets", user: "mallory", role: role)
            }
            try await world.signUp("mallory", secrets: ["ANTHROPIC_API_KEY": "sk-ant-mallory-0123456789abcdef"])
            let id = try await world.request(by: "mallory")
            try await world.settle(world.dispatcher())

            let (status, reason) = try await world.status(id)
            #expect(status == "failed")
            #expect(reason == "@mallory has \(role) permission")
            #expect(world.fly.machines.isEmpty)
            #expect(world.fly.receivedRequests.isEmpty)
            #expect(world.secrets.accesses.isEmpty)
            let replies = world.comments.filter { $0.contains("<!-- porter:") }
            #expect(replies.count == 1, "one reply, and no status comment: \(replies)")
            #expect(
                replies.first?.contains("@mallory Porter runs tasks only for people with write, maintain or admin")
                    == true)
            #expect(world.labels.isEmpty, "someone without write access changes no label")
        }
    }

    @Test func anOutsiderAskingAgainAndAgainGetsOneReplyAnIssueADay() async throws {
        try await DispatchWorld.run { world in
            world.emulator.setRole(owner: "acme", repo: "widgets", user: "mallory", role: "read")
            let dispatcher = world.dispatcher()
            var ids: [UUID] = []
            var triggers: [Int64] = []
            for _ in 0..<3 {
                let id = try await world.request(by: "mallory")
                ids.append(id)
                try await world.settle(dispatcher)
                triggers.append(
                    try await world.database.query("SELECT trigger_comment_id FROM tasks WHERE id = \(id)").collect()
                        .first!.decode(Int64.self))
            }

            for id in ids { #expect(try await world.status(id) == ("failed", "@mallory has read permission")) }
            #expect(world.comments.filter { $0.contains("<!-- porter:") }.count == 1)
            #expect(world.labels.isEmpty)
            #expect(triggers.allSatisfy { world.emulator.reactions(commentID: Int($0)).isEmpty })
            let withheld = try await world.database.query(
                "SELECT count(*) FROM github_side_effects WHERE result ? 'withheld'"
            ).collect().first!.decode(Int.self)
            #expect(withheld == 2)
        }
    }

    @Test func aPermissionCheckThatFailsKeepsTheTaskWaitingUntilGitHubAnswers() async throws {
        try await DispatchWorld.run { world in
            world.emulator.setRole(owner: "acme", repo: "widgets", user: "alice", role: "write")
            try await world.signUp("alice", secrets: ["ANTHROPIC_API_KEY": "sk-ant-alice-0123456789abcdef"])
            world.emulator.faults.add(
                .init(method: "GET", pathPrefix: "/repos/acme/widgets/collaborators/alice", status: 502, remaining: 100)
            )
            let id = try await world.request(by: "alice")
            let dispatcher = world.dispatcher()
            try await world.settle(dispatcher)

            #expect(try await world.status(id).0 == "queued")
            #expect(world.fly.machines.isEmpty)
            #expect(world.secrets.accesses.isEmpty)
            let error = try await world.database.query("SELECT last_error FROM jobs WHERE task_id = \(id)")
                .collect().first?.decode(String?.self)
            #expect(error?.contains("the permission check failed") == true)

            world.emulator.faults.reset()
            try await world.database.query("UPDATE jobs SET run_after = now()")
            try await world.settle(dispatcher)
            #expect(try await world.status(id).0 == "running")
            #expect(world.fly.machines.count == 1)
        }
    }

    @Test func aRunningTaskIsAcknowledgedWithOneStatusCommentEditedInPlace() async throws {
        try await DispatchWorld.run { world in
            world.emulator.setRole(owner: "acme", repo: "widgets", user: "alice", role: "write")
            try await world.signUp("alice", secrets: ["ANTHROPIC_API_KEY": "sk-ant-alice-0123456789abcdef"])
            let id = try await world.request(by: "alice")
            try await world.settle(world.dispatcher())

            let comments = world.comments
            #expect(comments.count == 2, "\(comments)")
            let status = try #require(comments.last)
            #expect(status.contains("running"))
            #expect(status.contains("Agent `claude`"))
            #expect(status.contains("model `default`"))
            #expect(status.contains("elapsed"))
            #expect(status.contains("https://porter.example.com/tasks/\(id.uuidString.lowercased())"))
            #expect(world.labels == ["porter:running"])
            let trigger = try #require(
                try await world.database.query("SELECT trigger_comment_id FROM tasks WHERE id = \(id)").collect()
                    .first?.decode(Int64.self))
            #expect(world.emulator.reactions(commentID: Int(trigger)) == ["eyes"])
        }
    }

    @Test func aTaskOnASuspendedInstallationEndsWithoutCallingGitHub() async throws {
        try await DispatchWorld.run { world in
            world.emulator.setRole(owner: "acme", repo: "widgets", user: "alice", role: "write")
            try await world.signUp("alice", secrets: ["ANTHROPIC_API_KEY": "sk-ant-alice-0123456789abcdef"])
            try await world.database.query(
                """
                INSERT INTO installations (id, account_id, account_login, account_type, suspended_at)
                VALUES (\(world.github.installationID), 1, 'acme', 'Organization', now())
                """)
            let id = try await world.request(by: "alice")
            let commentsBefore = world.comments
            try await world.settle(world.dispatcher())

            #expect(try await world.status(id) == ("cancelled", "the installation is suspended or removed"))
            #expect(world.fly.machines.isEmpty)
            #expect(world.comments == commentsBefore)
            #expect(world.secrets.accesses.isEmpty)
        }
    }

    @Test func aPermissionCheckGitHubRefusesForGoodEndsTheTaskWithoutRunningIt() async throws {
        try await DispatchWorld.run { world in
            try await world.signUp("alice", secrets: ["ANTHROPIC_API_KEY": "sk-ant-alice-0123456789abcdef"])
            world.emulator.faults.add(
                .init(method: "GET", pathPrefix: "/repos/acme/widgets/collaborators/alice", status: 404, remaining: 100)
            )
            let id = try await world.request(by: "alice")
            try await world.settle(world.dispatcher())

            #expect(try await world.status(id) == ("failed", "the permission of @alice could not be checked"))
            #expect(world.fly.machines.isEmpty)
            #expect(world.secrets.accesses.isEmpty)
            #expect(world.comments.contains { $0.contains("could not confirm that you may write") })
            #expect(world.labels.isEmpty)
        }
    }

    @Test func aRefusedRequestLeavesTheLabelsOfTheTaskRunningOnTheIssue() async throws {
        try await DispatchWorld.run { world in
            world.emulator.setRole(owner: "acme", repo: "widgets", user: "alice", role: "write")
            world.emulator.setRole(owner: "acme", repo: "widgets", user: "mallory", role: "read")
            try await world.signUp("alice", secrets: ["ANTHROPIC_API_KEY": "sk-ant-alice-0123456789abcdef"])
            let running = try await world.request(by: "alice")
            let dispatcher = world.dispatcher()
            try await world.settle(dispatcher)
            #expect(world.labels == ["porter:running"])

            let refused = try await world.request(by: "mallory", userID: 777)
            try await world.settle(dispatcher)
            #expect(try await world.status(refused).0 == "failed")
            #expect(try await world.status(running).0 == "running")
            #expect(world.labels == ["porter:running"])
        }
    }
}
