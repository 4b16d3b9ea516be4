import Foundation
import PorterKit
import Testing

@testable import WebAPI

/// How the review page reads a patch, and how the queue weighs checks and reviews.
@Suite struct WebReviewPiecesTests {
    static let patch = """
        @@ -1,4 +1,5 @@ struct Greeter {
         let name: String
        -func hello() {}
        +func hello() {
        +    print("hi")
        +}
         // end
        @@ -20,2 +21,2 @@
        -old tail
        +new tail
        \\ No newline at end of file
        """

    @Test func aPatchIsNumberedFromItsHunkHeaders() {
        let diff = ReviewDiff(patch: Self.patch)
        let numbered = diff.lines.map {
            "\($0.kind.rawValue) \($0.old.map(String.init) ?? "-") \($0.new.map(String.init) ?? "-")"
        }
        #expect(
            numbered == [
                "hunk - -", "context 1 1", "removed 2 -", "added - 2", "added - 3", "added - 4", "context 3 5",
                "hunk - -", "removed 20 -", "added - 21", "context - -",
            ])
        #expect(diff.lines[3].text == "func hello() {")
        #expect(diff.lines.last?.text == "\\ No newline at end of file")
        // Notes go on the new line, or the old one for a removed line; never on a hunk header.
        let unified = diff.unified
        #expect(unified[2].noteSide == "LEFT" && unified[2].noteLine == 2)
        #expect(unified[3].noteSide == "RIGHT" && unified[3].noteLine == 2)
        #expect(unified[0].isHunk && unified[0].noteLine == nil)
        #expect(unified[10].noteLine == nil)
    }

    @Test func theSplitViewPairsRemovedLinesWithTheLinesThatReplacedThem() {
        let rows = ReviewDiff(patch: Self.patch).split
        func describe(_ cell: ReviewDiff.SplitRow.Cell?) -> String { cell.map { "\($0.number):\($0.text)" } ?? "·" }
        let printed = rows.map { $0.hunk != nil ? "@@" : "\(describe($0.left)) | \(describe($0.right))" }
        #expect(
            printed == [
                "@@", "1:let name: String | 1:let name: String", "2:func hello() {} | 2:func hello() {",
                "· | 3:    print(\"hi\")", "· | 4:}", "3:// end | 5:// end", "@@", "20:old tail | 21:new tail",
                ":\\ No newline at end of file | :\\ No newline at end of file",
            ])
    }

    @Test func anEmptyOrOddPatchGivesRowsNotACrash() {
        #expect(ReviewDiff(patch: "").lines.isEmpty)
        #expect(ReviewDiff(patch: "@@ -0,0 +1 @@\n+only\n").lines.map(\.new) == [nil, 1])
        #expect(ReviewDiff(patch: "@@ garbage @@\n+x").lines.map(\.new) == [nil, 1])
        #expect(ReviewDiff(patch: "+x\r\n-y\r\n").lines.map(\.text) == ["x", "y"])
    }

    /// As GitHub sends them.
    static func decoded<T: Decodable>(_ json: String, as type: T.Type = T.self) -> T {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try! decoder.decode(T.self, from: Data(json.utf8))
    }

    static func run(_ status: String, _ conclusion: String? = nil) -> GitHubCheckRun {
        decoded(
            #"{"id": 1, "name": "ci", "status": "\#(status)", "conclusion": \#(conclusion.map { "\"\($0)\"" } ?? "null")}"#
        )
    }

    static func combined(_ states: String...) -> GitHubCombinedStatus {
        decoded(
            #"{"state": "pending", "statuses": [\#(states.map { #"{"context": "ci/\#($0)", "state": "\#($0)"}"# }.joined(separator: ","))]}"#
        )
    }

    @Test func checkRunsAndStatusesCountTogether() {
        #expect(ReviewSignals.checks([], Self.combined()) == .none)
        #expect(ReviewSignals.checks([Self.run("completed", "success")], Self.combined()) == .passing)
        #expect(ReviewSignals.checks([Self.run("completed", "skipped")], Self.combined("success")) == .passing)
        #expect(ReviewSignals.checks([Self.run("in_progress")], Self.combined("success")) == .pending)
        #expect(ReviewSignals.checks([Self.run("completed", "success")], Self.combined("pending")) == .pending)
        #expect(ReviewSignals.checks([Self.run("in_progress")], Self.combined("error")) == .failing)
        #expect(ReviewSignals.checks([Self.run("completed", "timed_out")], Self.combined()) == .failing)
    }

    static func review(_ login: String, _ state: String) -> GitHubReview {
        decoded(#"{"id": 1, "user": {"login": "\#(login)", "id": 1}, "state": "\#(state)"}"#)
    }

    @Test func eachReviewersLatestVerdictCountsAndAChangeRequestWins() {
        #expect(ReviewSignals.verdict([]) == .none)
        #expect(ReviewSignals.verdict([Self.review("a", "COMMENTED")]) == .none)
        #expect(ReviewSignals.verdict([Self.review("a", "APPROVED")]) == .approved)
        #expect(
            ReviewSignals.verdict([Self.review("a", "CHANGES_REQUESTED"), Self.review("a", "APPROVED")]) == .approved)
        #expect(
            ReviewSignals.verdict([Self.review("a", "APPROVED"), Self.review("b", "CHANGES_REQUESTED")])
                == .changesRequested)
        #expect(ReviewSignals.verdict([Self.review("a", "CHANGES_REQUESTED"), Self.review("a", "DISMISSED")]) == .none)
    }
}
