import Foundation
import PorterEmulators
import PorterKit
import PorterTestSupport
import Testing

/// A holder of a task token (a worker, or an agent steered by the issue's text) tries to make Porter
/// write what it wants under the App's name, or open a pull request from a head it chose.
@Suite struct UntrustedReportTests {
    typealias Receiver = CallbackReceiverTests

    /// `@` after no letter, digit or `_`, then a name: what GitHub notifies.
    static func mentions(_ text: String) -> [String] {
        let expression = try! NSRegularExpression(pattern: #"(?<![A-Za-z0-9_])@[A-Za-z0-9][A-Za-z0-9-]*(?:/[\w.-]+)?"#)
        let string = text as NSString
        return expression.matches(in: text, range: NSRange(location: 0, length: string.length)).map {
            string.substring(with: $0.range)
        }
    }

    static let attack = """
        All done. Closes #2, and fixes: acme/widgets#2 — see also resolved https://github.com/acme/widgets/issues/2
        cc @acme/everyone @octocat
        <!-- porter:task:00000000-0000-0000-0000-000000000000:status -->
        <details><summary>More</summary>
        ```
        an open fence that would swallow Porter's footer
        """

    @Test func agentTextPostedUnderTheAppsNameClosesNoIssueAndMentionsNobody() async throws {
        try await CallbackWorld.run { world in
            let unrelated = world.dispatch.emulator.addIssue(
                owner: "acme", repo: "widgets", title: "Unrelated", author: "octocat")
            #expect(unrelated == 2)
            let (id, token) = try await Receiver.running(world)
            let (branch, sha) = try await Receiver.pushWork(world, id, token: token)
            let report = try Receiver.completion(
                id, ["attempt": 1, "status": "succeeded", "branch": branch, "head_sha": sha, "summary": Self.attack])
            #expect(try await world.call(.POST, "/callbacks/complete", token: token, json: report).status == 200)
            try await world.deliver()

            let pull = try #require(world.dispatch.emulator.pullRequests(owner: "acme", repo: "widgets").first)
            let body = try #require(pull.body)
            #expect(body.hasPrefix("Fixes #1\n"), "Porter's own closing keyword stays")
            #expect(body.contains("All done."))
            #expect(Self.mentions(body) == ["@alice"], "only the requester, named by Porter: \(body)")
            #expect(!body.contains("<!--"))
            #expect(!body.contains("<details>"))
            let fences = body.split(separator: "\n").filter { $0.hasPrefix("```") }
            #expect(fences.count == 2, "the agent's open fence is closed before Porter's footer")
            #expect(body.hasSuffix(")"), "the footer's task link ends the body, outside any code block")

            let comment = try #require(world.dispatch.comments.first { $0.contains("✅ succeeded") })
            #expect(comment.components(separatedBy: "<!-- porter:").count == 2, "only the deliverer's own marker")
            #expect(!comment.contains("00000000-0000-0000-0000-000000000000"))
            #expect(Self.mentions(comment).isEmpty, "\(comment)")

            // Merging into the default branch closes the task's issue, and only it.
            try await world.dispatch.emulator.mergePullRequest(
                owner: "acme", repo: "widgets", number: pull.number, method: .squash)
            let states = Dictionary(
                uniqueKeysWithValues: world.dispatch.emulator.issues(owner: "acme", repo: "widgets").map {
                    ($0.number, $0.state)
                })
            #expect(states[1] == "closed")
            #expect(states[2] == "open")
        }
    }

    @Test func aFailuresLogTailCannotEndItsCodeBlockOrForgeAMarker() async throws {
        try await CallbackWorld.run { world in
            let (id, token) = try await Receiver.running(world)
            let tail = "step 1\n```\n@acme/everyone closes #2\n``````\n<!-- porter:task:x:status -->\nboom"
            let report = try Receiver.completion(
                id,
                [
                    "status": "failed", "error": "it broke; fixes #2 @octocat <!-- porter:forged -->",
                    "log_tail": tail,
                ])
            #expect(try await world.call(.POST, "/callbacks/complete", token: token, json: report).status == 200)
            try await world.deliver()

            let comment = try #require(world.dispatch.comments.first { $0.contains("❌ failed") })
            let lines = comment.split(separator: "\n", omittingEmptySubsequences: false)
            let open = try #require(lines.firstIndex { $0.hasPrefix("```") })
            let fence = lines[open]
            #expect(fence == "```````", "one backtick longer than the longest run in the log")
            let close = try #require(lines[(open + 1)...].firstIndex { $0 == fence })
            #expect(lines[close - 1] == "boom", "the block ends where the log does")
            #expect(lines[(open + 1)..<close].contains("@acme/everyone closes #2"), "inside the block, as logged")
            #expect(comment.components(separatedBy: "<!-- porter:").count == 2, "only the deliverer's own marker")
            let outside = lines[..<open].joined(separator: "\n") + lines[(close + 1)...].joined(separator: "\n")
            #expect(Self.mentions(outside.replacing(/`[^`]*`/, with: "")).isEmpty, "\(outside)")
            #expect(outside.contains("it broke;"))
            #expect(outside.contains("`@porter retry`"), "Porter's own hint is still code, outside the log")
        }
    }

    @Test func aCompletionNamingAnotherBranchIsRefusedAndChangesNothing() async throws {
        try await CallbackWorld.run { world in
            let (id, token) = try await Receiver.running(world)
            let (branch, _) = try await Receiver.pushWork(world, id, token: token)
            // Someone with the task's git token pushes a branch of their own and reports it.
            let evil = try await Receiver.push(
                world, id, token: token, base: "main", branch: "chosen", files: ["EVIL.md": "evil\n"])

            let report = try Receiver.completion(
                id, ["attempt": 1, "status": "succeeded", "branch": "chosen", "head_sha": evil])
            let answer = try await world.call(.POST, "/callbacks/complete", token: token, json: report)
            #expect(answer.status == 400)
            #expect(answer.body.contains("branch must be \(branch)"), "\(answer.body)")
            try await world.deliver()
            #expect(try await world.dispatch.status(id).0 == "running")
            #expect(world.dispatch.emulator.pullRequests(owner: "acme", repo: "widgets").isEmpty)
        }
    }

    @Test func aReportedHeadThatIsNotTheBranchTipOpensNoPullRequest() async throws {
        try await CallbackWorld.run { world in
            let (id, token) = try await Receiver.running(world)
            let (branch, sha) = try await Receiver.pushWork(world, id, token: token)
            // After the worker's push, something else lands on the branch before the report.
            let tip = try await Receiver.push(
                world, id, token: token, base: branch, branch: branch, files: ["EVIL.md": "evil\n"])
            #expect(tip != sha)

            let report = try Receiver.completion(
                id, ["attempt": 1, "status": "succeeded", "branch": branch, "head_sha": sha])
            #expect(try await world.call(.POST, "/callbacks/complete", token: token, json: report).status == 200)
            try await world.deliver()

            #expect(world.dispatch.emulator.pullRequests(owner: "acme", repo: "widgets").isEmpty)
            let comment = try #require(world.dispatch.comments.first { $0.contains("✅ succeeded") })
            #expect(
                comment.contains(
                    "the pull request could not be opened: the branch `\(branch)` is at \(tip.prefix(7)), "
                        + "not at the commit \(sha.prefix(7)) the worker reported."), "\(comment)")
            let timeline = try await world.timeline(id)
            #expect(timeline.contains { $0.hasPrefix("pull_request: the pull request could not be opened") })
        }
    }
}
