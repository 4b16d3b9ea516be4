import Foundation
import PorterKit
import PorterTestSupport
import Testing

/// Text GitHub may send that PostgreSQL text cannot hold: a NUL character (JSON's `\u0000`) in a
/// comment is dropped before anything is stored, one in the issue's title or body does not stop the
/// intake (the dispatcher stores the title it reads, cleaned), and the command still runs.
@Suite struct WebhookGatewayTextTests {
    @Test func aNULCharacterInACommentOrAnIssueIsDroppedAndTheTaskIsMade() async throws {
        try await GatewayHarness.run { gateway in
            let payload = try GatewayHarness.comment("@porter claude fix\u{0} the\u{0} login test")
                .setting("issue.title", "Login\u{0} flakes")
                .setting("issue.body", "It\u{0} fails")
            let answer = try await gateway.send("issue_comment", payload)
            #expect(answer.status == .accepted, "\(answer.body)")
            let task = try #require(try await gateway.tasks().first)
            #expect(task.request.instructions == "fix the login test")
            #expect(try await gateway.count("jobs", where: "kind = 'dispatch' AND task_id = '\(task.id)'") == 1)
        }
    }
}
