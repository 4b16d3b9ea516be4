import Foundation
import PorterKit
import Testing

/// What an agent writes reaches GitHub under the App's name only after `UntrustedMarkdown`.
@Suite struct UntrustedMarkdownTests {
    static let zwsp = "\u{200B}"

    /// A mention as GitHub finds one: `@` after no letter, digit or `_`, then a name.
    static func mentions(_ text: String) -> [String] {
        matches(#"(?<![A-Za-z0-9_])@[A-Za-z0-9][A-Za-z0-9-]*(?:/[A-Za-z0-9_.-]+)?"#, in: text)
    }

    /// A closing keyword as GitHub finds one, with what it would close.
    static func closings(_ text: String) -> [String] {
        matches(
            #"(?i)(?<![A-Za-z0-9_])(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?):?\s+"#
                + #"(?:(?:[\w.-]+/[\w.-]+)?#\d+|https?://\S+/issues/\d+)"#, in: text)
    }

    static func matches(_ pattern: String, in text: String) -> [String] {
        let expression = try! NSRegularExpression(pattern: pattern)
        let string = text as NSString
        return expression.matches(in: text, range: NSRange(location: 0, length: string.length)).map {
            string.substring(with: $0.range)
        }
    }

    @Test func mentionsOfPeopleAndTeamsNotifyNobodyButStillRead() {
        let text = "Thanks @octocat and @acme/everyone (cc: @a-b). Mail me at dev@example.com or `@MainActor`."
        let safe = UntrustedMarkdown.neutralised(text, limit: 1_000)
        #expect(Self.mentions(text).count == 4)
        #expect(Self.mentions(safe).isEmpty, "\(safe)")
        #expect(safe.contains("dev@example.com"), "an address is not a mention and stays as it is")
        #expect(safe.replacingOccurrences(of: Self.zwsp, with: "") == text, "nothing but invisible spaces changes")
    }

    @Test func noClosingKeywordSurvivesInAnyFormGitHubReads() {
        let text = """
            Closes #2. fixes: #3, RESOLVED acme/widgets#4
            Fixed https://github.com/acme/widgets/issues/5 and close\t#6; **Fixes** #7
            prefixes #8 stay prefixes
            """
        let safe = UntrustedMarkdown.neutralised(text, limit: 1_000)
        #expect(Self.closings(text).count == 5)
        #expect(Self.closings(safe).isEmpty, "\(safe)")
        // However GitHub reads markup around it (`**Fixes** #7`), no keyword before a reference is left whole.
        #expect(
            Self.matches(#"(?i)(?<![A-Za-z])(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)(?![A-Za-z])"#, in: safe)
                .isEmpty)
        #expect(UntrustedMarkdown.neutralised("Fixed the flaky test.", limit: 100) == "Fixed the flaky test.")
        #expect(safe.contains("prefixes #8 stay prefixes"), "only whole keywords are touched")
        #expect(safe.replacingOccurrences(of: Self.zwsp, with: "") == text)
    }

    @Test func htmlCommentsGoAndTagsShowAsWritten() {
        let text = """
            Done <!-- porter:task:0d6b2a1c-2a4b-4c8e-9f3e-1a2b3c4d5e6f:status --> here.
            <details><summary>Hidden</summary>@octocat</details>
            <pre>
            Array<Int> stays, 1 < 2 stays, an unclosed <!-- comment too
            """
        let safe = UntrustedMarkdown.neutralised(text, limit: 1_000)
        #expect(!safe.contains("porter:task"), "a forged marker is gone")
        #expect(safe.hasPrefix("Done  here."))
        for tag in ["<details>", "<summary>", "</details>", "<pre>", "<Int>", "<!--"] {
            #expect(!safe.contains(tag), "\(tag) could open HTML")
        }
        #expect(safe.contains("<\(Self.zwsp)pre>"))
        #expect(safe.contains("1 < 2 stays"))
    }

    @Test func invisibleTextTheAgentHidIsRemovedBeforeAnythingElse() {
        // Tag characters spelling "@x", a zero-width joiner splitting a keyword, a right-to-left override.
        let hidden = "A\u{E0040}\u{E0078} fi\u{200D}xes #9 \u{202E}done"
        let safe = UntrustedMarkdown.neutralised(hidden, limit: 1_000)
        #expect(Self.closings(safe).isEmpty)
        #expect(!safe.unicodeScalars.contains { (0xE0000...0xE007F).contains($0.value) || $0.value == 0x202E })
        #expect(safe.replacingOccurrences(of: Self.zwsp, with: "") == "A fixes #9 done")
    }

    @Test func aFenceLeftOpenIsClosedSoWhatPorterWritesAfterItRenders() {
        for (text, closer) in [
            ("Look:\n```swift\nlet x = 1", "```"), ("~~~~\n@octocat", "~~~~"), ("  ````\nx", "````"),
        ] {
            let safe = UntrustedMarkdown.neutralised(text, limit: 1_000)
            #expect(safe.hasSuffix("\n" + closer), "\(text)")
        }
        let closed = "```\ncode\n```\nafter"
        #expect(UntrustedMarkdown.neutralised(closed, limit: 1_000) == closed)
        #expect(UntrustedMarkdown.neutralised("``` not a fence ` here", limit: 100) == "``` not a fence ` here")
    }

    @Test func longTextKeepsItsEndAndSaysItWasCut() {
        let text = String(repeating: "a", count: 500) + " the conclusion"
        let safe = UntrustedMarkdown.neutralised(text, limit: 100)
        #expect(safe.hasPrefix("[…]\n"))
        #expect(safe.hasSuffix(" the conclusion"))
        #expect(safe.count == 104)
    }

    @Test func aLogTailsFenceIsLongerThanAnyRunOfBackticksInIt() {
        let log = "step 1\n````\n@octocat closes #2\n```````\n<!-- porter:task:x:status -->"
        let block = UntrustedMarkdown.fenced(log, limit: 1_000)
        let lines = block.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.first == "````````")
        #expect(lines.last == "````````")
        #expect(lines.dropFirst().dropLast().allSatisfy { !$0.hasPrefix("````````") })
        #expect(!block.contains("<!--"), "Porter's marker search never finds a forged marker in it")
        #expect(block.contains("@octocat closes #2"), "inside a code block nothing renders, so it reads as logged")
        #expect(UntrustedMarkdown.fenced("plain", limit: 100) == "```\nplain\n```")
    }
}
