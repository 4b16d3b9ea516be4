import Foundation
import HummingbirdTesting
import NIOCore
import PorterKit
import PorterTestSupport
import PostgresNIO
import Testing

/// `pull_request` deliveries against a live gateway: what became of the pull requests Porter opened.
@Suite struct WebhookGatewayPullRequestTests {
    /// What a task records of its pull request, read straight from its row.
    struct Outcome: Equatable {
        var state: String?
        var draft: Bool?
        var closedAt: Date?
        var mergedAt: Date?
    }

    static func outcome(_ gateway: GatewayHarness, _ task: UUID) async throws -> Outcome {
        let row = try await gateway.database.query(
            """
            SELECT pull_request_state, pull_request_draft, pull_request_closed_at, pull_request_merged_at
            FROM tasks WHERE id = \(task)
            """
        ).collect().first!.decode((String?, Bool?, Date?, Date?).self)
        return Outcome(state: row.0, draft: row.1, closedAt: row.2, mergedAt: row.3)
    }

    static func time(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }

    /// A task created by a command on issue `issue`, succeeded, whose pull request `number` Porter
    /// opened: recorded as the callback-receiver records it.
    static func porterPullRequest(
        _ gateway: GatewayHarness, issue: Int, number: Int, draft: Bool = true
    )
        async throws -> UUID
    {
        let answer = try await gateway.send(
            "issue_comment", try GatewayHarness.comment("@porter claude fix it").setting("issue.number", issue))
        let id = try #require(answer.body["task_id"] as? String)
        let task = try #require(UUID(uuidString: id))
        let repository = PostgresTaskRepository(client: gateway.database, logger: TestDatabase.logger)
        for status in [TaskStatus.dispatching, .running, .succeeded] {
            _ = try await repository.transition(id: task, to: status, reason: nil)
        }
        try await gateway.database.query(
            """
            UPDATE tasks SET branch = \("porter/issue-\(issue)-\(task.uuidString.prefix(8).lowercased())"),
                pull_request_number = \(number), pull_request_url = \("https://github.com/o/r/pull/\(number)"),
                pull_request_state = 'open', pull_request_draft = \(draft)
            WHERE id = \(task)
            """)
        return task
    }

    /// A `pull_request` delivery shaped as GitHub sends it, about pull request `number` of the
    /// repository the fixture's comments come from, with that delivery's installation and sender.
    static func event(
        _ action: String, number: Int, state: String = "open", merged: Bool = false, draft: Bool = false,
        updatedAt: String, closedAt: String? = nil, mergedAt: String? = nil
    ) throws -> JSONObject {
        let comment = try Fixtures.webhook("issue_comment.created.with-installation")
        let repository = try #require(comment.get("repository") as? [String: Any])
        let owner = try #require(comment.get("repository.owner") as? [String: Any])
        let fullName = try #require(repository["full_name"] as? String)
        let login = try #require(owner["login"] as? String)
        let branch = "porter/issue-1-0a1b2c3d"
        let porter: [String: Any] = [
            "login": "porter[bot]", "id": 41_898_282, "node_id": "BOT_kgDOAn9RKg", "type": "Bot", "site_admin": false,
        ]
        let pull: [String: Any] = [
            "url": "https://api.github.com/repos/\(fullName)/pulls/\(number)",
            "id": 279_147_000 + number, "node_id": "PR_kwDOCyNnis5Q\(number)",
            "html_url": "https://github.com/\(fullName)/pull/\(number)",
            "diff_url": "https://github.com/\(fullName)/pull/\(number).diff",
            "issue_url": "https://api.github.com/repos/\(fullName)/issues/\(number)",
            "number": number, "state": state, "locked": false, "title": "Resolve #1", "user": porter,
            "body": "Fixes #1", "created_at": "2024-05-01T09:00:00Z", "updated_at": updatedAt,
            "closed_at": closedAt ?? NSNull(), "merged_at": mergedAt ?? NSNull(),
            "merge_commit_sha": "c4295bd74fb0f4fda03689c3df3f2803b658fd85", "assignee": NSNull(), "assignees": [],
            "requested_reviewers": [], "requested_teams": [],
            "labels": [["id": 1, "name": "porter", "color": "ededed"]],
            "milestone": NSNull(), "draft": draft,
            "head": [
                "label": "\(login):\(branch)", "ref": branch, "sha": "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
                "user": owner, "repo": repository,
            ],
            "base": [
                "label": "\(login):main", "ref": "main", "sha": "f95f852bd8fca8fcc58a9a2d6c842781e32a215e",
                "user": owner, "repo": repository,
            ],
            "author_association": "NONE", "auto_merge": NSNull(), "active_lock_reason": NSNull(), "merged": merged,
            "mergeable": NSNull(), "rebaseable": NSNull(), "mergeable_state": "unknown",
            "merged_by": merged ? comment.get("sender") ?? NSNull() : NSNull(), "comments": 0,
            "review_comments": 0, "maintainer_can_modify": false, "commits": 1, "additions": 3, "deletions": 1,
            "changed_files": 1,
        ]
        return JSONObject([
            "action": action, "number": number, "pull_request": pull, "repository": repository,
            "installation": comment.get("installation") ?? NSNull(), "sender": comment.get("sender") ?? NSNull(),
        ])
    }

    @Test func aMergedPullRequestIsRecordedOnTheTaskThatOpenedIt() async throws {
        try await GatewayHarness.run { gateway in
            let task = try await Self.porterPullRequest(gateway, issue: 1, number: 7)
            let other = try await Self.porterPullRequest(gateway, issue: 2, number: 8)
            #expect(try await Self.outcome(gateway, task) == Outcome(state: "open", draft: true))

            let ready = try await gateway.send(
                "pull_request", try Self.event("ready_for_review", number: 7, updatedAt: "2024-05-01T10:00:00Z"))
            #expect(ready.status == .ok)
            #expect(ready.body["outcome"] as? String == "pull request #7 marked ready for review")
            #expect(try await Self.outcome(gateway, task) == Outcome(state: "open", draft: false))

            let merged = try await gateway.send(
                "pull_request",
                try Self.event(
                    "closed", number: 7, state: "closed", merged: true, updatedAt: "2024-05-01T12:00:01Z",
                    closedAt: "2024-05-01T12:00:00Z", mergedAt: "2024-05-01T12:00:00Z"))
            #expect(merged.status == .ok)
            #expect(merged.body["status"] as? String == "ok")
            #expect(merged.body["outcome"] as? String == "pull request #7 merged")
            #expect(
                try await Self.outcome(gateway, task)
                    == Outcome(
                        state: "merged", draft: false, closedAt: Self.time("2024-05-01T12:00:00Z"),
                        mergedAt: Self.time("2024-05-01T12:00:00Z")))
            #expect(try await Self.outcome(gateway, other) == Outcome(state: "open", draft: true))
            let timeline = try await gateway.database.query(
                "SELECT message FROM task_events WHERE task_id = \(task) AND kind = 'pull_request' ORDER BY id"
            ).collect().map { try $0.decode(String.self) }
            #expect(timeline == ["#7 marked ready for review", "#7 merged"])
            #expect(try await gateway.count("webhook_deliveries", where: "event = 'pull_request'") == 2)
            try await gateway.client.execute(uri: "/metrics", method: .get) { response in
                #expect(
                    String(buffer: response.body).contains(
                        #"porter_webhook_gateway_deliveries_total{event="pull_request",outcome="pull_request"} 2"#))
            }
        }
    }

    @Test func aPullRequestClosedWithoutMergingThenReopenedIsOpenAgain() async throws {
        try await GatewayHarness.run { gateway in
            let task = try await Self.porterPullRequest(gateway, issue: 1, number: 7, draft: false)
            let closed = try await gateway.send(
                "pull_request",
                try Self.event(
                    "closed", number: 7, state: "closed", updatedAt: "2024-05-01T12:00:00Z",
                    closedAt: "2024-05-01T12:00:00Z"))
            #expect(closed.body["outcome"] as? String == "pull request #7 closed without merging")
            #expect(
                try await Self.outcome(gateway, task)
                    == Outcome(state: "closed", draft: false, closedAt: Self.time("2024-05-01T12:00:00Z")))

            let reopened = try await gateway.send(
                "pull_request", try Self.event("reopened", number: 7, updatedAt: "2024-05-01T13:00:00Z"))
            #expect(reopened.body["outcome"] as? String == "pull request #7 reopened")
            #expect(try await Self.outcome(gateway, task) == Outcome(state: "open", draft: false))

            let drafted = try await gateway.send(
                "pull_request",
                try Self.event("converted_to_draft", number: 7, draft: true, updatedAt: "2024-05-01T14:00:00Z"))
            #expect(drafted.body["outcome"] as? String == "pull request #7 converted to draft")
            #expect(try await Self.outcome(gateway, task) == Outcome(state: "open", draft: true))
        }
    }

    @Test func aRedeliveredEventChangesNothingAfterALaterOne() async throws {
        try await GatewayHarness.run { gateway in
            let task = try await Self.porterPullRequest(gateway, issue: 1, number: 7)
            let closed = try Self.event(
                "closed", number: 7, state: "closed", updatedAt: "2024-05-01T12:00:00Z",
                closedAt: "2024-05-01T12:00:00Z")
            #expect(try await gateway.send("pull_request", closed, delivery: "pr-closed").status == .ok)
            _ = try await gateway.send(
                "pull_request", try Self.event("reopened", number: 7, draft: true, updatedAt: "2024-05-01T13:00:00Z"))

            // GitHub's redelivery keeps the delivery's GUID.
            let again = try await gateway.send("pull_request", closed, delivery: "pr-closed")
            #expect(again.status == .ok)
            #expect(again.body["status"] as? String == "duplicate")
            #expect(try await Self.outcome(gateway, task) == Outcome(state: "open", draft: true))
            #expect(try await gateway.count("task_events", where: "task_id = '\(task)' AND kind = 'pull_request'") == 2)
        }
    }

    @Test func anEventOlderThanTheOneRecordedChangesNothingAndAMergeIsFinal() async throws {
        try await GatewayHarness.run { gateway in
            let task = try await Self.porterPullRequest(gateway, issue: 1, number: 7)
            // Closed at 10:00, reopened at 11:00, closed at 12:00: the deliveries arrive last first.
            let lastClose = try await gateway.send(
                "pull_request",
                try Self.event(
                    "closed", number: 7, state: "closed", updatedAt: "2024-05-01T12:00:00Z",
                    closedAt: "2024-05-01T12:00:00Z"))
            #expect(lastClose.body["outcome"] as? String == "pull request #7 closed without merging")
            let lateReopen = try await gateway.send(
                "pull_request", try Self.event("reopened", number: 7, updatedAt: "2024-05-01T11:00:00Z"))
            #expect(lateReopen.status == .ok)
            #expect(
                lateReopen.body["outcome"] as? String
                    == "pull request #7: reopened is older than what is recorded (closed)")
            let lateClose = try await gateway.send(
                "pull_request",
                try Self.event(
                    "closed", number: 7, state: "closed", updatedAt: "2024-05-01T10:00:00Z",
                    closedAt: "2024-05-01T10:00:00Z"))
            #expect(lateClose.status == .ok)
            let closed = Outcome(state: "closed", draft: false, closedAt: Self.time("2024-05-01T12:00:00Z"))
            #expect(try await Self.outcome(gateway, task) == closed)

            // Reopened and merged; then an earlier draft conversion, and a reopening no merged pull
            // request can have, arrive: the merge stands.
            _ = try await gateway.send(
                "pull_request", try Self.event("reopened", number: 7, updatedAt: "2024-05-01T13:00:00Z"))
            _ = try await gateway.send(
                "pull_request",
                try Self.event(
                    "closed", number: 7, state: "closed", merged: true, updatedAt: "2024-05-01T15:00:00Z",
                    closedAt: "2024-05-01T15:00:00Z", mergedAt: "2024-05-01T15:00:00Z"))
            _ = try await gateway.send(
                "pull_request",
                try Self.event("converted_to_draft", number: 7, draft: true, updatedAt: "2024-05-01T14:00:00Z"))
            let reopened = try await gateway.send(
                "pull_request", try Self.event("reopened", number: 7, updatedAt: "2024-05-01T16:00:00Z"))
            #expect(
                reopened.body["outcome"] as? String == "pull request #7: already merged, reopened changes nothing")
            let merged = Outcome(
                state: "merged", draft: false, closedAt: Self.time("2024-05-01T15:00:00Z"),
                mergedAt: Self.time("2024-05-01T15:00:00Z"))
            #expect(try await Self.outcome(gateway, task) == merged)
        }
    }

    /// Closed and reopened five times, every event delivered at once: whatever order they are applied
    /// in, the task ends as the newest one says.
    @Test func concurrentDeliveriesEndAtTheNewestEvent() async throws {
        try await GatewayHarness.run { gateway in
            let task = try await Self.porterPullRequest(gateway, issue: 1, number: 7)
            var events: [JSONObject] = []
            for hour in 10..<20 {
                let time = "2024-05-01T\(hour):00:00Z"
                events.append(
                    hour % 2 == 0
                        ? try Self.event("closed", number: 7, state: "closed", updatedAt: time, closedAt: time)
                        : try Self.event("reopened", number: 7, draft: hour == 19, updatedAt: time))
            }
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for event in events.shuffled() {
                    group.addTask { try await gateway.send("pull_request", event).status.code }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses == Array(repeating: 200, count: 10))
            #expect(try await Self.outcome(gateway, task) == Outcome(state: "open", draft: true))
            let recorded = try await gateway.database.query(
                "SELECT pull_request_updated_at FROM tasks WHERE id = \(task)"
            ).collect().first?.decode(Date?.self)
            #expect(recorded == Self.time("2024-05-01T19:00:00Z"))
        }
    }

    @Test func pullRequestsNoTaskOpenedAreRecordedAndIgnored() async throws {
        try await GatewayHarness.run { gateway in
            let task = try await Self.porterPullRequest(gateway, issue: 1, number: 7)
            let unknown = try await gateway.send(
                "pull_request",
                try Self.event(
                    "closed", number: 99, state: "closed", merged: true, updatedAt: "2024-05-01T12:00:00Z",
                    closedAt: "2024-05-01T12:00:00Z", mergedAt: "2024-05-01T12:00:00Z"))
            #expect(unknown.status == .ok)
            #expect(unknown.body["outcome"] as? String == "ignored: pull request #99 was not opened by Porter")

            // The same number in another repository, and a pull request from a fork.
            let elsewhere = try Self.event(
                "closed", number: 7, state: "closed", updatedAt: "2024-05-01T12:00:00Z",
                closedAt: "2024-05-01T12:00:00Z"
            ).setting("repository.id", 42).setting("pull_request.base.repo.id", 42).setting(
                "pull_request.head.repo.id", 42)
            #expect(
                try await gateway.send("pull_request", elsewhere).body["outcome"] as? String
                    == "ignored: pull request #7 was not opened by Porter")
            let fork = try Self.event(
                "closed", number: 7, state: "closed", updatedAt: "2024-05-01T12:00:00Z",
                closedAt: "2024-05-01T12:00:00Z"
            ).setting("pull_request.head.repo.id", 4242).setting("pull_request.head.repo.full_name", "someone/fork")
            #expect(
                try await gateway.send("pull_request", fork).body["outcome"] as? String
                    == "ignored: pull request #7 comes from a fork")
            // Actions that do not change the outcome.
            for action in ["opened", "synchronize", "labeled", "edited"] {
                let answer = try await gateway.send(
                    "pull_request", try Self.event(action, number: 7, updatedAt: "2024-05-01T12:00:00Z"))
                #expect(answer.body["outcome"] as? String == "ignored: event pull_request.\(action) is not handled")
            }

            #expect(try await Self.outcome(gateway, task) == Outcome(state: "open", draft: true))
            #expect(try await gateway.count("task_events", where: "kind = 'pull_request'") == 0)
            #expect(try await gateway.count("webhook_deliveries", where: "event = 'pull_request'") == 7)
        }
    }

    /// A payload without what the outcome needs, each a path and a JSON value (nil removes it), and
    /// the reason GitHub is given.
    @Test(
        arguments: [
            ("pull_request.updated_at", nil, "pull_request.closed payload lacks pull_request.updated_at"),
            ("pull_request", nil, "pull_request.closed payload lacks pull_request"),
            (
                "pull_request.state", #""gone""#,
                "pull_request.closed payload: pull_request.state is neither open nor closed"
            ),
            ("pull_request.state", #""open""#, "pull_request.closed payload: pull_request.state is open"),
            (
                "pull_request.number", #""seven""#,
                "pull_request payload: pull_request.number: Expected to decode Int but found a string instead"
            ),
            (
                "pull_request.updated_at", #""yesterday""#,
                "pull_request.closed payload: pull_request.updated_at is not an ISO 8601 time"
            ),
            (
                "pull_request.merged_at", "1714564800",
                "pull_request payload: pull_request.merged_at: Expected to decode String but found number instead"
            ),
            ("repository", nil, "pull_request.closed payload lacks repository"),
        ] as [(String, String?, String)])
    func aPayloadWithoutWhatTheOutcomeNeedsIsRefusedAndCanComeAgain(
        path: String, json: String?, reason: String
    ) async throws {
        try await GatewayHarness.run { gateway in
            let task = try await Self.porterPullRequest(gateway, issue: 1, number: 7)
            let rows = try await gateway.rowsWritten()
            let good = try Self.event(
                "closed", number: 7, state: "closed", merged: true, updatedAt: "2024-05-01T12:00:00Z",
                closedAt: "2024-05-01T12:00:00Z", mergedAt: "2024-05-01T12:00:00Z")
            let value = try json.map {
                try JSONSerialization.jsonObject(with: Data($0.utf8), options: .fragmentsAllowed)
            }
            let refused = try await gateway.send("pull_request", good.setting(path, value), delivery: "pr-bad")
            #expect(refused.status == .badRequest)
            #expect(refused.body["status"] as? String == "rejected")
            #expect(refused.body["reason"] as? String == reason)
            #expect(try await gateway.rowsWritten() == rows, "a refused delivery writes nothing")
            try await gateway.client.execute(uri: "/metrics", method: .get) { response in
                #expect(
                    String(buffer: response.body).contains(
                        #"porter_webhook_gateway_deliveries_total{event="pull_request",outcome="malformed"} 1"#))
            }
            #expect(try await Self.outcome(gateway, task) == Outcome(state: "open", draft: true))

            // Not recorded, so the same delivery, readable this time, is not a duplicate.
            let redelivered = try await gateway.send("pull_request", good, delivery: "pr-bad")
            #expect(redelivered.status == .ok)
            #expect(redelivered.body["outcome"] as? String == "pull request #7 merged")
            #expect(try await Self.outcome(gateway, task).state == "merged")
        }
    }
}
