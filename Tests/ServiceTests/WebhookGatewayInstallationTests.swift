import Foundation
import PorterKit
import PorterTestSupport
import PostgresNIO
import Testing

/// `installation` and `installation_repositories` deliveries against a live gateway.
@Suite struct WebhookGatewayInstallationTests {
    @Test func suspendingAnInstallationCancelsItsQueuedTasksAndMarksActiveOnes() async throws {
        try await GatewayHarness.run { gateway in
            let created = try Fixtures.webhook("installation.created")
            let id = created.get("installation.id") as! Int
            let other = id + 1
            #expect(try await gateway.send("installation", created).status == .ok)

            // Three tasks on the installation (to become queued, dispatching and running) and two
            // on another installation that the suspension must not touch; one issue each, as an
            // issue has at most one active task.
            let comment = try GatewayHarness.comment("@porter claude fix it")
            for (number, installation) in [id, id, id, other, other].enumerated() {
                let answer = try await gateway.send(
                    "issue_comment",
                    comment.setting("installation.id", installation).setting("issue.number", 100 + number))
                #expect(answer.status == .accepted)
            }
            let tasks = try await gateway.tasks().map(\.id)
            try #require(tasks.count == 5)
            let (queued, dispatching, running, otherQueued, otherRunning) =
                (tasks[0], tasks[1], tasks[2], tasks[3], tasks[4])
            let repository = PostgresTaskRepository(client: gateway.database, logger: TestDatabase.logger)
            for task in [dispatching, running, otherRunning] {
                _ = try await repository.transition(id: task, to: .dispatching, reason: nil)
            }
            for task in [running, otherRunning] {
                _ = try await repository.transition(id: task, to: .running, reason: nil)
            }

            let suspend = created.setting("action", "suspend").setting(
                "installation.suspended_at", "2024-05-01T12:00:00Z")
            let answer = try await gateway.send("installation", suspend)
            #expect(answer.status == .ok)
            #expect(answer.body["outcome"] as? String == "installation suspended: 1 cancelled, 2 stopping")

            let reason = "the installation was suspended"
            let stateOfQueued = try await gateway.state(of: queued)
            #expect(stateOfQueued.status == "cancelled")
            #expect(stateOfQueued.reason == reason)
            #expect(
                try await gateway.count(
                    "task_events", where: "task_id = '\(queued)' AND message = 'cancelled: \(reason)'") == 1)
            for (task, status) in [(dispatching, "dispatching"), (running, "running")] {
                let state = try await gateway.state(of: task)
                #expect(state.status == status, "an active task keeps running until its Machine is stopped")
                #expect(state.cancelRequested)
                #expect(state.reason == reason)
                #expect(try await gateway.count("jobs", where: "kind = 'cancel' AND task_id = '\(task)'") == 1)
                #expect(
                    try await gateway.count(
                        "jobs",
                        where: "kind = 'cancel' AND task_id = '\(task)' AND priority = \(TaskPriority.high.rank)"
                    ) == 1)
                #expect(
                    try await gateway.count("task_events", where: "task_id = '\(task)' AND kind = 'cancel_requested'")
                        == 1)
            }
            // The queued task's cancel job finishes its status comment; the active ones' stop their workers.
            #expect(try await gateway.count("jobs", where: "kind = 'cancel' AND task_id = '\(queued)'") == 1)
            #expect(try await gateway.count("jobs", where: "kind = 'cancel'") == 3)
            let stateOfOtherQueued = try await gateway.state(of: otherQueued)
            let stateOfOtherRunning = try await gateway.state(of: otherRunning)
            #expect(stateOfOtherQueued.status == "queued")
            #expect(stateOfOtherRunning.status == "running")
            #expect(!stateOfOtherQueued.cancelRequested && !stateOfOtherRunning.cancelRequested)
            #expect(
                try await gateway.count("installations", where: "id = \(id) AND suspended_at IS NOT NULL") == 1)
            #expect(try await gateway.count("installations", where: "id = \(id) AND deleted_at IS NULL") == 1)

            // A second suspend delivery finds nothing left to cancel and queues no second cancel job.
            let again = try await gateway.send("installation", suspend)
            #expect(again.body["outcome"] as? String == "installation suspended: 0 cancelled, 0 stopping")
            #expect(try await gateway.count("jobs", where: "kind = 'cancel'") == 3)

            // Unsuspending clears the mark and revives nothing.
            let unsuspend = created.setting("action", "unsuspend").setting("installation.suspended_at", nil)
            #expect(
                try await gateway.send("installation", unsuspend).body["outcome"] as? String == "installation upsert")
            #expect(try await gateway.count("installations", where: "id = \(id) AND suspended_at IS NULL") == 1)
            #expect(try await gateway.state(of: queued).status == "cancelled")
        }
    }

    @Test func removedRepositoriesAreDeletedFromTheInstallationsRepositories() async throws {
        try await GatewayHarness.run { gateway in
            let added = try Fixtures.webhook("installation_repositories.added")
            let id = added.get("installation.id") as! Int
            let gone = try #require((added.get("repositories_added") as? [[String: Any]])?.first)
            let goneID = try #require(gone["id"] as? Int)
            var kept = gone
            kept["id"] = goneID + 1
            kept["name"] = "kept"
            kept["full_name"] = "acme/kept"

            let addBoth = try await gateway.send(
                "installation_repositories", added.setting("repositories_added", [gone, kept]))
            #expect(addBoth.status == .ok)
            // The same repository on another installation stays listed there.
            _ = try await gateway.send(
                "installation_repositories",
                added.setting("installation.id", id + 1).setting("repositories_added", [gone]))
            #expect(try await repositoryIDs(gateway, installation: id) == [goneID, goneID + 1])
            #expect(try await repositoryIDs(gateway, installation: id + 1) == [goneID])

            let removed = added.setting("action", "removed").setting("repositories_added", [Any]())
                .setting("repositories_removed", [gone])
            let answer = try await gateway.send("installation_repositories", removed)
            #expect(answer.status == .ok)
            #expect(answer.body["outcome"] as? String == "installation upsert")
            #expect(try await repositoryIDs(gateway, installation: id) == [goneID + 1])
            #expect(try await repositoryIDs(gateway, installation: id + 1) == [goneID])
            #expect(try await gateway.count("installations", where: "id = \(id) AND deleted_at IS NULL") == 1)
            #expect(
                try await gateway.count(
                    "webhook_deliveries", where: "event = 'installation_repositories' AND action = 'removed'") == 1)
        }
    }

    private func repositoryIDs(_ gateway: GatewayHarness, installation: Int) async throws -> [Int] {
        try await gateway.database.query(
            """
            SELECT repository_id FROM installation_repositories WHERE installation_id = \(Int64(installation))
            ORDER BY repository_id
            """
        ).collect().map { Int(try $0.decode(Int64.self)) }
    }
}

/// A repository removed from the installation takes its tasks with it, through the one cancellation path.
@Suite struct WebhookGatewayRemovedRepositoryTests {
    @Test func removingARepositoryCancelsItsTasksAndNoOthers() async throws {
        try await GatewayHarness.run { gateway in
            let added = try Fixtures.webhook("installation_repositories.added")
            let id = added.get("installation.id") as! Int
            let removedRepository = try #require((added.get("repositories_added") as? [[String: Any]])?.first)
            let removedID = try #require(removedRepository["id"] as? Int)
            #expect(try await gateway.send("installation_repositories", added).status == .ok)
            let comment = try GatewayHarness.comment("@porter claude fix it").setting("installation.id", id)
            for (number, repository) in [removedID, removedID, removedID + 1].enumerated() {
                let answer = try await gateway.send(
                    "issue_comment", comment.setting("repository.id", repository).setting("issue.number", 10 + number))
                #expect(answer.status == .accepted)
            }
            let tasks = try await gateway.tasks().map(\.id)
            try #require(tasks.count == 3)
            let repository = PostgresTaskRepository(client: gateway.database, logger: TestDatabase.logger)
            _ = try await repository.transition(id: tasks[1], to: .dispatching, reason: nil)
            _ = try await repository.transition(id: tasks[1], to: .running, reason: nil)

            let removed = added.setting("action", "removed").setting("repositories_added", [Any]())
                .setting("repositories_removed", [removedRepository])
            let answer = try await gateway.send("installation_repositories", removed)
            #expect(answer.body["outcome"] as? String == "installation upsert: 1 cancelled, 1 stopping")
            let reason = "the repository was removed from the installation"
            #expect(try await gateway.state(of: tasks[0]).status == "cancelled")
            #expect(try await gateway.state(of: tasks[0]).reason == reason)
            let running = try await gateway.state(of: tasks[1])
            #expect(running.status == "running" && running.cancelRequested && running.reason == reason)
            #expect(try await gateway.state(of: tasks[2]).status == "queued", "another repository's task stays")
            #expect(try await gateway.count("jobs", where: "kind = 'cancel'") == 2)
        }
    }
}
