import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PorterKit
import PorterTestSupport
import PostgresNIO
import Testing

/// Commands made on a pull request, delivered to a live gateway: what a follow-up stores, once per
/// delivery, and what ends it.
@Suite struct WebhookGatewayFollowUpTests {
    typealias PullRequests = WebhookGatewayPullRequestTests

    static let hunk = "@@ -1,4 +1,5 @@\n # Widgets\n-let retries = 1\n+let retries = 3\n+let delay = 2"

    /// A `pull_request_review_comment.created` delivery on pull request `number`, shaped as GitHub
    /// sends it, from the fixture comment's repository, installation and commenter.
    static func reviewComment(
        _ body: String, number: Int, id: Int = 284_312_630, action: String = "created"
    ) throws -> JSONObject {
        let event = try PullRequests.event("opened", number: number, updatedAt: "2024-05-01T10:00:00Z")
        let user = try #require(try GatewayHarness.comment("").get("comment.user") as? [String: Any])
        let comment: [String: Any] = [
            "url": "https://api.github.com/repos/o/r/pulls/comments/\(id)", "pull_request_review_id": 237_895_671,
            "id": id, "node_id": "PRRC_kwDOCyNnis5Q\(id)", "diff_hunk": hunk, "path": "Sources/Widgets/Retry.swift",
            "position": 4, "original_position": 4, "commit_id": "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
            "original_commit_id": "ec26c3e57ca3a959ca5aad62de7213c562f8c821", "user": user, "body": body,
            "created_at": "2024-05-01T11:00:00Z", "updated_at": "2024-05-01T11:00:00Z",
            "html_url": "https://github.com/o/r/pull/\(number)#discussion_r\(id)",
            "pull_request_url": "https://api.github.com/repos/o/r/pulls/\(number)", "author_association": "OWNER",
            "start_line": 3, "original_start_line": 3, "start_side": "RIGHT", "line": 4, "original_line": 4,
            "side": "RIGHT", "in_reply_to_id": NSNull(),
        ]
        return event.setting("action", action).setting("number", nil).setting("comment", comment)
    }

    /// A `pull_request_review.submitted` delivery on pull request `number` whose body is `body`.
    static func review(_ body: String?, number: Int, id: Int = 80) throws -> JSONObject {
        let event = try PullRequests.event("opened", number: number, updatedAt: "2024-05-01T10:00:00Z")
        let user = try #require(try GatewayHarness.comment("").get("comment.user") as? [String: Any])
        let review: [String: Any] = [
            "id": id, "node_id": "PRR_kwDOCyNnis5Q\(id)", "user": user, "body": body.map { $0 as Any } ?? NSNull(),
            "commit_id": "ec26c3e57ca3a959ca5aad62de7213c562f8c821", "submitted_at": "2024-05-01T11:00:00Z",
            "state": "commented", "html_url": "https://github.com/o/r/pull/\(number)#pullrequestreview-\(id)",
            "pull_request_url": "https://api.github.com/repos/o/r/pulls/\(number)", "author_association": "OWNER",
        ]
        return event.setting("action", "submitted").setting("number", nil).setting("review", review)
    }

    static func taskID(_ answer: (status: HTTPResponse.Status, body: [String: Any])) throws -> UUID {
        #expect(answer.status == .accepted)
        let text = try #require(answer.body["task_id"] as? String)
        return try #require(UUID(uuidString: text))
    }

    static func find(_ gateway: GatewayHarness, _ id: UUID) async throws -> PorterTask {
        try #require(
            try await PostgresTaskRepository(client: gateway.database, logger: TestDatabase.logger).find(id: id))
    }

    /// `status: reason`, and ` (stopping)` when a stop was asked for.
    static func ending(_ gateway: GatewayHarness, _ id: UUID) async throws -> String {
        let state = try await gateway.state(of: id)
        return "\(state.status): \(state.reason ?? "-")\(state.cancelRequested ? " (stopping)" : "")"
    }

    static func followUp(_ gateway: GatewayHarness, _ id: UUID) async throws -> FollowUpRequest? {
        try await PostgresTaskRepository(client: gateway.database, logger: TestDatabase.logger).followUp(taskID: id)
    }

    @Test func aCommandOnLinesOfPortersPullRequestIsAFollowUpWithItsLinesAndHunk() async throws {
        try await GatewayHarness.run { gateway in
            let opener = try await PullRequests.porterPullRequest(gateway, issue: 1, number: 7)
            let answer = try await gateway.send(
                "pull_request_review_comment", try Self.reviewComment("@porter claude retry three times", number: 7),
                delivery: "rc-1")
            let task = try await Self.find(gateway, try Self.taskID(answer))
            #expect(answer.body["outcome"] as? String == "task_created")
            #expect(task.kind == .followUp)
            #expect(task.followUpOf == opener)
            #expect(task.triggerCommentKind == .reviewComment)
            #expect(task.triggerCommentID == 284_312_630)
            #expect(task.issue.number == 7)
            #expect(task.issue.isPullRequest)
            #expect(task.request.agent == .claude)
            #expect(task.request.instructions == "retry three times")
            #expect(task.deliveryID == "rc-1")
            #expect(
                try await Self.followUp(gateway, task.id)
                    == FollowUpRequest(
                        source: .reviewComment, reviewID: 237_895_671, commentID: 284_312_630,
                        path: "Sources/Widgets/Retry.swift", startLine: 3, line: 4, side: "RIGHT", diffHunk: Self.hunk))
            #expect(try await gateway.count("jobs", where: "kind = 'dispatch' AND task_id = '\(task.id)'") == 1)
            // The task that opened the pull request is not a follow-up and has no follow-up row.
            #expect(try await Self.find(gateway, opener).kind == .issue)
            #expect(try await Self.followUp(gateway, opener) == nil)
        }
    }

    @Test func aReviewWhoseBodyIsACommandIsOneFollowUpOnTheReview() async throws {
        try await GatewayHarness.run { gateway in
            let opener = try await PullRequests.porterPullRequest(gateway, issue: 1, number: 7)
            let answer = try await gateway.send(
                "pull_request_review", try Self.review("Nearly.\n\n@porter codex address these comments", number: 7))
            let task = try await Self.find(gateway, try Self.taskID(answer))
            #expect(task.kind == .followUp)
            #expect(task.followUpOf == opener)
            #expect(task.triggerCommentKind == .review)
            #expect(task.triggerCommentID == nil)
            #expect(task.request.agent == .codex)
            #expect(try await Self.followUp(gateway, task.id) == FollowUpRequest(source: .review, reviewID: 80))

            // A review without a command is recorded and ignored.
            for body in [nil, "", "LGTM"] as [String?] {
                let ignored = try await gateway.send("pull_request_review", try Self.review(body, number: 7))
                #expect(ignored.status == .ok)
                #expect((ignored.body["outcome"] as? String)?.hasPrefix("ignored: ") == true)
            }
            #expect(try await gateway.count("tasks", where: "kind = 'follow_up'") == 1)
            #expect(try await gateway.count("webhook_deliveries", where: "event = 'pull_request_review'") == 4)
        }
    }

    @Test func aCommandOnAPullRequestsConversationIsAFollowUpOfTheTaskThatOpenedIt() async throws {
        try await GatewayHarness.run { gateway in
            let opener = try await PullRequests.porterPullRequest(gateway, issue: 1, number: 7)
            let onPorters = try GatewayHarness.comment("@porter claude also update the changelog")
                .setting("issue.number", 7)
                .setting("issue.pull_request", ["url": "https://api.github.com/repos/o/r/pulls/7"])
            let task = try await Self.find(gateway, try Self.taskID(try await gateway.send("issue_comment", onPorters)))
            #expect(task.kind == .followUp)
            #expect(task.followUpOf == opener)
            #expect(task.triggerCommentKind == .issueComment)
            #expect(task.issue.number == 7)
            let commentID = Int64(try #require(onPorters.get("comment.id") as? Int))
            #expect(
                try await Self.followUp(gateway, task.id)
                    == FollowUpRequest(source: .conversation, commentID: commentID))

            // A pull request Porter did not open: stored all the same, for the dispatcher to decide.
            let onOther = onPorters.setting("issue.number", 8)
            let other = try await Self.find(gateway, try Self.taskID(try await gateway.send("issue_comment", onOther)))
            #expect(other.kind == .followUp)
            #expect(other.followUpOf == nil)

            // On an issue, a command is still an issue task.
            let issue = try await Self.find(
                gateway,
                try Self.taskID(try await gateway.send("issue_comment", try GatewayHarness.comment("@porter fix"))))
            #expect(issue.kind == .issue)
            #expect(issue.followUpOf == nil)
            #expect(try await Self.followUp(gateway, issue.id) == nil)
        }
    }

    @Test func controlVerbsOnALineCommentBecomeDurableRequestsForThePullRequest() async throws {
        try await GatewayHarness.run { gateway in
            let answer = try await gateway.send(
                "pull_request_review_comment", try Self.reviewComment("@porter status", number: 7))
            #expect(answer.body["outcome"] as? String == "control: status")
            let stored = try await gateway.database.query("SELECT payload::text FROM jobs WHERE kind = 'control'")
                .collect().first?.decode(String.self)
            let request = try JSONDecoder().decode(ControlRequest.self, from: Data(try #require(stored).utf8))
            #expect(request.context.issue.number == 7)
            #expect(request.context.issue.isPullRequest)
            #expect(request.context.commentID == 284_312_630)
            #expect(request.context.commentKind == .reviewComment)
            #expect(try await gateway.count("tasks") == 0)
        }
    }

    @Test func aRedeliveredOrConcurrentlyRepeatedLineCommentMakesOneTask() async throws {
        try await GatewayHarness.run { gateway in
            _ = try await PullRequests.porterPullRequest(gateway, issue: 1, number: 7)
            let body = try Self.reviewComment("@porter claude retry three times", number: 7).data
            let statuses = try await gateway.storm(
                "pull_request_review_comment", body, delivery: "rc-storm", copies: 50)
            #expect(statuses.filter { $0 == .accepted }.count == 1)
            #expect(statuses.filter { $0 == .ok }.count == 49)
            // GitHub's redelivery keeps the GUID.
            let again = try await gateway.sendRaw("pull_request_review_comment", body, delivery: "rc-storm")
            #expect(again.status == .ok)
            #expect(again.body["status"] as? String == "duplicate")
            #expect(try await gateway.count("tasks", where: "kind = 'follow_up'") == 1)
            #expect(try await gateway.count("task_follow_ups") == 1)
            #expect(try await gateway.count("jobs", where: "kind = 'dispatch'") == 2)
            #expect(try await gateway.count("webhook_deliveries", where: "delivery_id = 'rc-storm'") == 1)
        }
    }

    @Test func mergingOrClosingThePullRequestEndsItsFollowUps() async throws {
        try await GatewayHarness.run { gateway in
            let opener = try await PullRequests.porterPullRequest(gateway, issue: 1, number: 7)
            let queued = try Self.taskID(
                try await gateway.send("pull_request_review_comment", try Self.reviewComment("@porter fix", number: 7)))
            let running = try Self.taskID(
                try await gateway.send("pull_request_review", try Self.review("@porter fix these", number: 7)))
            let repository = PostgresTaskRepository(client: gateway.database, logger: TestDatabase.logger)
            _ = try await repository.transition(id: running, to: .dispatching, reason: nil)
            _ = try await repository.transition(id: running, to: .running, reason: nil)
            // A follow-up on another pull request is left alone.
            let elsewhere = try Self.taskID(
                try await gateway.send("pull_request_review_comment", try Self.reviewComment("@porter fix", number: 8)))

            let merged = try await gateway.send(
                "pull_request",
                try PullRequests.event(
                    "closed", number: 7, state: "closed", merged: true, updatedAt: "2024-05-01T12:00:01Z",
                    closedAt: "2024-05-01T12:00:00Z", mergedAt: "2024-05-01T12:00:00Z"))
            #expect(merged.status == .ok)
            #expect(merged.body["outcome"] as? String == "pull request #7 merged; follow-ups: 1 cancelled, 1 stopping")
            #expect(try await Self.ending(gateway, queued) == "cancelled: the pull request was merged")
            #expect(try await Self.ending(gateway, running) == "running: the pull request was merged (stopping)")
            #expect(try await gateway.state(of: elsewhere).status == "queued")
            #expect(try await PullRequests.outcome(gateway, opener).state == "merged")
            #expect(try await gateway.count("jobs", where: "kind = 'cancel' AND task_id = '\(queued)'") == 1)
            #expect(try await gateway.count("jobs", where: "kind = 'cancel' AND task_id = '\(running)'") == 1)

            // A pull request no task opened: its follow-ups end too, and the outcome says so.
            let closed = try await gateway.send(
                "pull_request",
                try PullRequests.event(
                    "closed", number: 8, state: "closed", updatedAt: "2024-05-01T12:00:00Z",
                    closedAt: "2024-05-01T12:00:00Z"))
            #expect(
                closed.body["outcome"] as? String
                    == "pull request #8 closed without merging; follow-ups: 1 cancelled, 0 stopping")
            #expect(try await Self.ending(gateway, elsewhere) == "cancelled: the pull request was closed")
        }
    }

    @Test func aCloseOlderThanTheRecordedReopeningLeavesFollowUpsRunning() async throws {
        try await GatewayHarness.run { gateway in
            _ = try await PullRequests.porterPullRequest(gateway, issue: 1, number: 7)
            _ = try await gateway.send(
                "pull_request", try PullRequests.event("reopened", number: 7, updatedAt: "2024-05-01T13:00:00Z"))
            let queued = try Self.taskID(
                try await gateway.send("pull_request_review_comment", try Self.reviewComment("@porter fix", number: 7)))
            let late = try await gateway.send(
                "pull_request",
                try PullRequests.event(
                    "closed", number: 7, state: "closed", updatedAt: "2024-05-01T12:00:00Z",
                    closedAt: "2024-05-01T12:00:00Z"))
            #expect(late.body["outcome"] as? String == "pull request #7: closed is older than what is recorded (open)")
            #expect(try await gateway.state(of: queued).status == "queued")
        }
    }

    @Test func editedAndDeletedCommentsAndDismissedReviewsAreRecordedAndIgnored() async throws {
        try await GatewayHarness.run { gateway in
            for action in ["edited", "deleted"] {
                let answer = try await gateway.send(
                    "pull_request_review_comment", try Self.reviewComment("@porter fix", number: 7, action: action))
                #expect(answer.status == .ok)
                #expect(
                    answer.body["outcome"] as? String
                        == "ignored: pull_request_review_comment.\(action) is not a command")
            }
            let dismissed = try Self.review("@porter fix", number: 7).setting("action", "dismissed")
            #expect(
                try await gateway.send("pull_request_review", dismissed).body["outcome"] as? String
                    == "ignored: pull_request_review.dismissed is not a command")
            let bot = try Self.reviewComment("@porter fix", number: 7).setting("comment.user.type", "Bot")
            #expect(
                try await gateway.send("pull_request_review_comment", bot).body["outcome"] as? String
                    == "ignored: comment by a bot")
            #expect(try await gateway.count("tasks") == 0)
            #expect(try await gateway.count("webhook_deliveries") == 4)
        }
    }

    /// A payload that cannot be read is treated as an issue comment's is: recorded and ignored when it
    /// is JSON of the wrong shape, refused without a trace when it is not a JSON object.
    @Test func malformedReviewPayloadsAreTreatedAsOtherMalformedPayloads() async throws {
        try await GatewayHarness.run { gateway in
            let wrongShape = try Self.review("@porter fix", number: 7).setting("review.id", "eighty")
            let answer = try await gateway.send("pull_request_review", wrongShape, delivery: "review-bad")
            #expect(answer.status == .ok)
            #expect(
                answer.body["outcome"] as? String
                    == "ignored: payload does not have the shape of a pull_request_review event")
            let comment = try Self.reviewComment("@porter fix", number: 7).setting("comment.line", "four")
            #expect(
                try await gateway.send("pull_request_review_comment", comment).body["outcome"] as? String
                    == "ignored: payload does not have the shape of a pull_request_review_comment event")
            #expect(try await gateway.count("tasks") == 0)
            let rows = try await gateway.rowsWritten()

            let notJSON = try await gateway.sendRaw("pull_request_review", Data("{not json".utf8))
            #expect(notJSON.status == .badRequest)
            #expect(notJSON.body["reason"] as? String == "body is not a JSON object")
            #expect(try await gateway.rowsWritten() == rows)
        }
    }
}
