import Foundation
import PorterKit
import Testing

/// The follow-up log in a pull request's description: one line per finished follow-up, in a section
/// of its own, added once, and kept within GitHub's size limit by dropping the oldest lines.
@Suite struct FollowUpLogTests {
    static func entry(_ n: Int, padding: Int = 0) -> FollowUpLogEntry {
        let id = UUID(uuidString: String(format: "00000000-0000-4000-8000-%012d", n))!
        return FollowUpLogEntry(
            repositoryFullName: "acme/widgets", pullNumber: 2, taskID: id,
            line: "- follow-up \(n)\(String(repeating: "x", count: padding)) \(FollowUpLog.marker(id))")
    }

    @Test func theSectionIsAddedAtTheEndOfADescriptionThatHasNone() throws {
        let body = try #require(FollowUpLog.appending(Self.entry(1), to: "Fixes #1\n\nDid things.\n\n"))
        #expect(
            body == """
                Fixes #1

                Did things.

                <!-- porter:follow-ups -->
                ### Follow-ups

                \(Self.entry(1).line)
                <!-- /porter:follow-ups -->
                """)
        let empty = try #require(FollowUpLog.appending(Self.entry(1), to: nil))
        #expect(empty.hasPrefix("<!-- porter:follow-ups -->\n### Follow-ups\n\n- follow-up 1"))
    }

    @Test func aLineGoesAtTheEndOfTheSectionAndTextAfterItStays() throws {
        let first = try #require(FollowUpLog.appending(Self.entry(1), to: "Fixes #1"))
        let edited = first.replacingOccurrences(of: "\n", with: "\r\n") + "\r\n\r\nA note someone added later."
        let second = try #require(FollowUpLog.appending(Self.entry(2), to: edited))
        let section = try #require(
            second.components(separatedBy: "<!-- porter:follow-ups -->").last?.components(
                separatedBy: "<!-- /porter:follow-ups -->"
            ).first)
        #expect(section == "\n### Follow-ups\n\n\(Self.entry(1).line)\n\(Self.entry(2).line)\n")
        #expect(second.hasSuffix("<!-- /porter:follow-ups -->\r\n\r\nA note someone added later."))
        #expect(second.hasPrefix("Fixes #1\r\n"))
    }

    @Test func aLineAlreadyThereIsNotAddedAgain() throws {
        let once = try #require(FollowUpLog.appending(Self.entry(1), to: "Fixes #1"))
        #expect(FollowUpLog.appending(Self.entry(1), to: once) == nil)
        // Wherever a person moved it to.
        #expect(FollowUpLog.appending(Self.entry(1), to: "moved: " + Self.entry(1).line) == nil)
    }

    @Test func theOldestLinesGoWhenTheDescriptionWouldGrowPastTheLimit() throws {
        var body: String? = "Fixes #1"
        for n in 1...6 { body = FollowUpLog.appending(Self.entry(n, padding: 150), to: body, limit: 700) }
        let text = try #require(body)
        #expect(text.count <= 700)
        #expect(text.contains(Self.entry(6, padding: 150).line), "the newest line stays")
        #expect(text.contains(Self.entry(5, padding: 150).line))
        #expect(!text.contains(FollowUpLog.marker(Self.entry(1).taskID)), "the oldest went")
        #expect(text.hasPrefix("Fixes #1\n\n<!-- porter:follow-ups -->\n### Follow-ups\n"))
        #expect(text.hasSuffix("<!-- /porter:follow-ups -->"))
    }

    @Test func aFollowUpReportsRebaseConflictsAndItsSideBranch() throws {
        let files = (1...60).map { "dir/file\($0).swift" } + [String(repeating: "p", count: 400), "bell\u{7}.txt", ""]
        let json = try JSONSerialization.data(withJSONObject: [
            "task_id": UUID().uuidString, "status": "failed", "rebased_onto": "ABCDEF0123",
            "side_branch": "feature-followup-1", "conflict_files": Array(files.suffix(3)) + files.prefix(60),
        ])
        let report = try CompletionReport.parse(json)
        #expect(report.rebasedOnto == "abcdef0123")
        #expect(report.sideBranch == "feature-followup-1")
        #expect(report.conflictFiles.count == CompletionReport.conflictFilesLimit)
        #expect(report.conflictFiles[0] == String(repeating: "p", count: 300))
        #expect(report.conflictFiles[1] == "bell.txt")
        #expect(report.conflictFiles[2] == "dir/file1.swift")

        let plain = try CompletionReport.parse(Data(#"{"task_id":"\#(UUID())","status":"succeeded"}"#.utf8))
        #expect(plain.rebasedOnto == nil && plain.conflictFiles.isEmpty && plain.sideBranch == nil)
    }

    @Test(arguments: [
        (#""rebased_onto":"not-a-sha""#, "rebased_onto must be a hexadecimal commit id"),
        (#""rebased_onto":"abc""#, "rebased_onto must be a hexadecimal commit id"),
        (#""conflict_files":"a.txt""#, "conflict_files must be an array of paths"),
        (#""head_sha":"xyz1234""#, "head_sha must be a hexadecimal commit id"),
    ])
    func aMalformedFollowUpFieldIsRefusedByName(field: String, message: String) {
        let json = Data(#"{"task_id":"\#(UUID())","status":"failed",\#(field)}"#.utf8)
        #expect(throws: CallbackError.badRequest(message)) { try CompletionReport.parse(json) }
    }

    @Test func rebasingIsAPhaseTheStatusCommentCanShow() throws {
        let report = try ProgressReport.parse(Data(#"{"phase":"rebasing"}"#.utf8))
        #expect(report.phase == "rebasing")
    }
}
