import Foundation
import PorterKit
import Testing

/// How commands made on a pull request (its conversation, lines of its diff, a review) become
/// follow-ups, controls and replies, from payloads shaped as GitHub sends them.
@Suite struct FollowUpInterpretationTests {
    let interpreter = WebhookInterpreter(mention: "porter", appSlug: "porter")

    static var repository: [String: Any] { ["id": 5, "full_name": "o/r", "private": false] }
    static var alice: [String: Any] { ["login": "alice", "id": 11, "type": "User"] }
    static var pull: [String: Any] {
        [
            "number": 12, "state": "open", "title": "Resolve #3", "updated_at": "2024-05-01T12:00:00Z",
            "user": ["login": "porter[bot]", "id": 99, "type": "Bot"],
            "head": [
                "ref": "porter/issue-3-0a1b2c3d", "sha": "ec26c3e57ca3a959ca5aad62de7213c562f8c821", "repo": repository,
            ],
            "base": ["ref": "main", "sha": "f95f852bd8fca8fcc58a9a2d6c842781e32a215e", "repo": repository],
        ]
    }
    static let hunk = "@@ -1,3 +1,4 @@\n # Widgets\n-old line\n+new line\n+another line"

    static func reviewCommentPayload(
        _ body: String, action: String = "created", user: [String: Any] = alice, extra: [String: Any] = [:]
    ) -> [String: Any] {
        var comment: [String: Any] = [
            "id": 284_312_630, "pull_request_review_id": 237_895_671, "body": body, "user": user,
            "path": "Sources/App/Login.swift", "diff_hunk": hunk, "line": 4, "start_line": 2, "side": "RIGHT",
            "commit_id": "ec26c3e57ca3a959ca5aad62de7213c562f8c821", "in_reply_to_id": NSNull(),
        ]
        comment.merge(extra) { $1 }
        return [
            "action": action, "comment": comment, "pull_request": pull, "repository": repository,
            "installation": ["id": 7], "sender": user,
        ]
    }

    static func reviewPayload(_ body: Any, action: String = "submitted", user: [String: Any] = alice) -> [String: Any] {
        [
            "action": action,
            "review": [
                "id": 80, "body": body, "user": user, "state": "commented",
                "commit_id": "ec26c3e57ca3a959ca5aad62de7213c562f8c821", "submitted_at": "2024-05-01T12:00:00Z",
            ],
            "pull_request": pull, "repository": repository, "installation": ["id": 7], "sender": user,
        ]
    }

    func interpret(_ event: String, _ body: [String: Any]) throws -> DeliveryEffect {
        let data = try JSONSerialization.data(withJSONObject: body)
        return interpreter.interpret(
            event: event, payload: try WebhookPayload.envelope(from: data))
    }

    static func context(commentID: Int64?, kind: CommentKind) -> IssueContext {
        IssueContext(
            issue: IssueReference(
                installationID: 7, repositoryID: 5, repositoryFullName: "o/r", number: 12, isPullRequest: true),
            requester: Requester(id: 11, login: "alice"), commentID: commentID, commentKind: kind)
    }

    @Test func aCommandOnLinesOfTheDiffIsAFollowUpThatKnowsTheLines() throws {
        let effect = try interpret(
            "pull_request_review_comment", Self.reviewCommentPayload("@porter claude --model=opus rename this"))
        #expect(
            effect
                == .startTask(
                    TaskOrder(
                        context: Self.context(commentID: 284_312_630, kind: .reviewComment),
                        options: RunOptions(agent: .claude, model: "opus", instructions: "rename this"),
                        followUp: FollowUpRequest(
                            source: .reviewComment, reviewID: 237_895_671, commentID: 284_312_630,
                            path: "Sources/App/Login.swift", startLine: 2, line: 4, side: "RIGHT",
                            diffHunk: Self.hunk))))
    }

    @Test func aCommandInAReviewsBodyIsAFollowUpOnTheReviewWithNoCommentToReactTo() throws {
        let effect = try interpret(
            "pull_request_review", Self.reviewPayload("Looks close.\n\n@porter codex apply these"))
        #expect(
            effect
                == .startTask(
                    TaskOrder(
                        context: Self.context(commentID: nil, kind: .review),
                        options: RunOptions(agent: .codex, instructions: "apply these"),
                        followUp: FollowUpRequest(source: .review, reviewID: 80))))
    }

    @Test func aCommandOnAPullRequestsConversationIsAFollowUpAndOnAnIssueItIsNot() throws {
        var payload: [String: Any] = [
            "action": "created", "repository": Self.repository, "installation": ["id": 7], "sender": Self.alice,
            "comment": ["id": 501, "body": "@porter fix the typo", "user": Self.alice],
            "issue": ["number": 12, "pull_request": ["url": "https://api.github.com/repos/o/r/pulls/12"]],
        ]
        let onPull = try interpret("issue_comment", payload)
        #expect(
            onPull
                == .startTask(
                    TaskOrder(
                        context: Self.context(commentID: 501, kind: .issueComment),
                        options: RunOptions(instructions: "fix the typo"),
                        followUp: FollowUpRequest(source: .conversation, commentID: 501))))

        payload["issue"] = ["number": 12]
        guard case .startTask(let order) = try interpret("issue_comment", payload) else {
            Issue.record("an issue command is a task")
            return
        }
        #expect(order.followUp == nil)
        #expect(order.context.issue.isPullRequest == false)
        #expect(order.context.commentKind == .issueComment)
    }

    @Test func controlVerbsAndHelpFromALineCommentActOnThePullRequest() throws {
        let context = Self.context(commentID: 284_312_630, kind: .reviewComment)
        for verb in [ControlVerb.stop, .retry, .status] {
            #expect(
                try interpret("pull_request_review_comment", Self.reviewCommentPayload("@porter \(verb.rawValue)"))
                    == .control(verb, context))
        }
        #expect(
            try interpret("pull_request_review_comment", Self.reviewCommentPayload("@porter help"))
                == .reply(context, body: Replies.help(mention: "porter"), outsiders: .none))
        guard
            case .reply(let replied, let body, .oncePerDay) = try interpret(
                "pull_request_review_comment", Self.reviewCommentPayload("@porter claude --turbo go"))
        else {
            Issue.record("an unknown flag is answered")
            return
        }
        #expect(replied == context)
        #expect(body.contains("`--turbo` is not a flag Porter knows"))
        #expect(
            try interpret("pull_request_review", Self.reviewPayload("@porter status"))
                == .control(.status, Self.context(commentID: nil, kind: .review)))
    }

    @Test func botsAppsAndPorterItselfAreIgnored() throws {
        let bot: [String: Any] = ["login": "dependabot[bot]", "id": 49_699_333, "type": "Bot"]
        let porter: [String: Any] = ["login": "Porter[bot]", "id": 99, "type": "User"]
        for user in [bot, porter] {
            #expect(
                try interpret("pull_request_review_comment", Self.reviewCommentPayload("@porter fix", user: user))
                    == .ignore(reason: "comment by a bot"))
            #expect(
                try interpret("pull_request_review", Self.reviewPayload("@porter fix", user: user))
                    == .ignore(reason: "review by a bot"))
        }
        let viaApp = Self.reviewCommentPayload(
            "@porter fix", extra: ["performed_via_github_app": ["id": 1, "slug": "other"]])
        #expect(try interpret("pull_request_review_comment", viaApp) == .ignore(reason: "comment by a bot"))
    }

    @Test(arguments: [
        ("pull_request_review_comment", "edited"), ("pull_request_review_comment", "deleted"),
        ("pull_request_review", "edited"), ("pull_request_review", "dismissed"),
    ])
    func actionsOtherThanCreatingOrSubmittingAreNotCommands(event: String, action: String) throws {
        let payload =
            event == "pull_request_review"
            ? Self.reviewPayload("@porter fix", action: action)
            : Self.reviewCommentPayload("@porter fix", action: action)
        #expect(try interpret(event, payload) == .ignore(reason: "\(event).\(action) is not a command"))
    }

    @Test func reviewsWithoutACommandAreIgnored() throws {
        #expect(
            try interpret("pull_request_review", Self.reviewPayload(NSNull())) == .ignore(reason: "review has no body"))
        #expect(try interpret("pull_request_review", Self.reviewPayload("")) == .ignore(reason: "review has no body"))
        #expect(try interpret("pull_request_review", Self.reviewPayload("LGTM")) == .ignore(reason: "no mention"))
        #expect(
            try interpret("pull_request_review_comment", Self.reviewCommentPayload("nit: `@porter fix`"))
                == .ignore(reason: "no mention"))
        var lacking = Self.reviewCommentPayload("@porter fix")
        lacking["pull_request"] = nil
        #expect(
            try interpret("pull_request_review_comment", lacking)
                == .ignore(reason: "review comment payload lacks comment, pull_request or repository"))
    }

    @Test func unreadableReviewPayloadsAreIgnoredAsOtherEventsAre() {
        for event in ["pull_request_review", "pull_request_review_comment"] {
            #expect(
                interpreter.unreadable(event: event, problem: "x")
                    == .ignore(reason: "payload does not have the shape of a \(event) event"))
        }
    }

    @Test func aLongHunkKeepsItsHeaderAndTheLinesNearestTheComment() throws {
        let body = (1...2000).map { "+line \($0) of a long file é" }.joined(separator: "\n")
        let hunk = "@@ -0,0 +1,2000 @@\n" + body
        let effect = try interpret(
            "pull_request_review_comment",
            Self.reviewCommentPayload(
                "@porter fix", extra: ["diff_hunk": hunk, "path": String(repeating: "é", count: 900)]))
        guard case .startTask(let order) = effect, let stored = order.followUp?.diffHunk else {
            Issue.record("a follow-up with a hunk: \(effect)")
            return
        }
        #expect(stored.utf8.count <= FollowUpRequest.diffHunkLimit)
        #expect(stored.utf8.count > FollowUpRequest.diffHunkLimit - 100)
        #expect(stored.hasPrefix("@@ -0,0 +1,2000 @@\n[… earlier lines of the hunk cut …]\n+line"))
        #expect(stored.hasSuffix("\n+line 2000 of a long file é"))
        #expect(!stored.contains("+line 1 of"))
        let path = try #require(order.followUp?.path)
        #expect(path.utf8.count <= FollowUpRequest.pathLimit)
        #expect(path == String(repeating: "é", count: FollowUpRequest.pathLimit / 2))
    }

    @Test func hunksAndPathsAreMadeStorable() {
        let request = FollowUpRequest(
            source: .reviewComment, path: "a\u{0}b.swift", diffHunk: "@@ -1 +1 @@\n-x\u{0}\n+y\u{7F}")
        #expect(request.path == "ab.swift")
        #expect(request.diffHunk == "@@ -1 +1 @@\n-x\n+y")
        let short = "@@ -1 +1 @@\n-a\n+b"
        #expect(FollowUpRequest.cappedHunk(short) == short)
        let oneLine = String(repeating: "x", count: 20_000)
        let capped = FollowUpRequest.cappedHunk(oneLine, limit: 1000)
        #expect(capped.utf8.count <= 1000)
        #expect(capped.hasSuffix("xxxx"))
    }
}
