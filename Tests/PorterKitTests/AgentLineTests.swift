import Foundation
import PorterKit
import Testing

/// Agent text on a status comment notifies nobody, references nothing and forges no marker.
@Suite struct AgentLineTests {
    @Test func theLatestLineIsTheLastNonEmptyOutputLineElseTheMessage() {
        #expect(
            AgentLine.latest(lines: ["compiling", "running tests", "  ", ""], message: "working") == "running tests")
        #expect(AgentLine.latest(lines: [], message: " the agent is working ") == "the agent is working")
        #expect(AgentLine.latest(lines: [" "], message: "") == nil)
    }

    @Test(arguments: [
        ("cc @octocat and @acme/team", "`cc @octocat and @acme/team`"),
        ("fixes #12, closes acme/widgets#3", "`fixes #12, closes acme/widgets#3`"),
        ("run `swift test` now", "``run `swift test` now``"),
        ("``double`` fence", "``` ``double`` fence ```"),
        ("<!-- porter:task:x:status -->", "`<! -- porter:task:x:status -->`"),
        ("two\nlines\r\n\tand a tab", "`two lines and a tab`"),
        ("zero\u{200B}width \u{202E}bidi\u{0007}", "`zerowidth bidi`"),
    ])
    func agentTextBecomesOneInertCodeSpan(input: String, expected: String) {
        #expect(AgentLine.inlineCode(input) == expected)
    }

    @Test func aLongLineIsCappedAndMarked() throws {
        let span = try #require(AgentLine.inlineCode(String(repeating: "a", count: 500), limit: 120))
        #expect(span == "`" + String(repeating: "a", count: 119) + "…`")
    }

    @Test func nothingVisibleGivesNoSpan() {
        #expect(AgentLine.inlineCode(" \u{200B}\n ") == nil)
    }

    @Test func theStatusCommentShowsThePhaseAndTheLatestLineAsCode() {
        let comment = StatusComment(
            taskID: UUID(), agent: .claude, model: nil,
            phase: .working(phase: "the agent is working", note: "@octocat fixes #2 <!-- x -->"),
            elapsed: .seconds(125), taskURL: URL(string: "https://porter.example/tasks/1")!)
        #expect(comment.body.contains("2m 05s elapsed"))
        #expect(comment.body.contains("Now: the agent is working."))
        #expect(comment.body.contains("Latest: `@octocat fixes #2 <! -- x -->`"))
        #expect(!comment.body.contains("<!--"))
    }
}
