import Foundation
import PorterKit
import Testing

/// How a `pull_request` payload becomes a change, with the fields GitHub may leave out.
@Suite struct PullRequestInterpretationTests {
    let interpreter = WebhookInterpreter(mention: "porter", appSlug: "porter")

    func interpret(_ action: String, _ pull: [String: Any], number: Int? = nil) throws -> DeliveryEffect {
        var body: [String: Any] = [
            "action": action, "pull_request": pull, "repository": ["id": 5, "full_name": "o/r"],
        ]
        if let number { body["number"] = number }
        let data = try JSONSerialization.data(withJSONObject: body)
        return interpreter.interpret(
            event: "pull_request", payload: try WebhookPayload.envelope(from: data))
    }

    static let noon = ISO8601DateFormatter().date(from: "2024-05-01T12:00:00Z")!

    @Test func aMergeIsKnownByItsTimeWhenMergedIsLeftOut() throws {
        let effect = try interpret(
            "closed",
            ["number": 3, "state": "closed", "updated_at": "2024-05-01T12:00:00Z", "merged_at": "2024-05-01T12:00:00Z"])
        #expect(
            effect
                == .pullRequestChanged(
                    PullRequestChange(
                        action: "closed", repositoryID: 5, number: 3, state: .merged, draft: nil,
                        closedAt: Self.noon, mergedAt: Self.noon, updatedAt: Self.noon)))
    }

    @Test func theEnvelopesNumberServesWhenThePullRequestHasNone() throws {
        let effect = try interpret(
            "reopened", ["state": "open", "draft": false, "updated_at": "2024-05-01T12:00:00Z"], number: 9)
        #expect(
            effect
                == .pullRequestChanged(
                    PullRequestChange(
                        action: "reopened", repositoryID: 5, number: 9, state: .open, draft: false, closedAt: nil,
                        mergedAt: nil, updatedAt: Self.noon)))
    }

    @Test func aClosedPullRequestWithoutItsClosingTimeIsClosedWhenLastUpdated() throws {
        let effect = try interpret(
            "closed", ["number": 3, "state": "closed", "merged": false, "updated_at": "2024-05-01T12:00:00Z"])
        guard case .pullRequestChanged(let change) = effect else {
            Issue.record("not a change: \(effect)")
            return
        }
        #expect(change.state == .closed)
        #expect(change.closedAt == Self.noon)
        #expect(change.mergedAt == nil)
    }

    @Test func anUnreadablePullRequestPayloadIsRefusedAndOtherEventsAreIgnored() {
        #expect(
            interpreter.unreadable(event: "pull_request", problem: "x") == .reject(reason: "pull_request payload: x"))
        #expect(
            interpreter.unreadable(event: "issue_comment", problem: "x")
                == .ignore(reason: "payload does not have the shape of a issue_comment event"))
    }
}
