import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOHTTP1
import PorterEmulators
import Testing

/// The emulator's pages at github.com's addresses: the links Porter posts lead to them, and the local
/// demo's person comments on its issue through them.
@Suite struct GitHubPagesTests {
    /// A client that does not follow redirects, so the form's 303 is seen as such.
    static let client = HTTPClient(
        eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))

    static func get(_ url: String) async throws -> (status: Int, location: String?, html: String) {
        let response = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(30))
        return (
            Int(response.status.code), response.headers.first(name: "Location"),
            String(buffer: try await response.body.collect(upTo: 1 << 22))
        )
    }

    static func postForm(_ url: String, _ fields: [String: String]) async throws -> (status: Int, location: String?) {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        let form = fields.map { name, value in
            "\(name)=\(value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")"
        }.joined(separator: "&")
        request.body = .bytes(ByteBuffer(string: form))
        let response = try await client.execute(request, timeout: .seconds(30))
        _ = try await response.body.collect(upTo: 1 << 22)
        return (Int(response.status.code), response.headers.first(name: "Location"))
    }

    /// Serves a fresh emulator seeded by `seed` and hands the body its base address.
    static func serve(
        seed: @Sendable (GitHubEmulator) async throws -> Void,
        _ body: @Sendable @escaping (GitHubEmulator, String) async throws -> Void
    ) async throws {
        let emulator = try GitHubEmulator(app: EmulatedGitHubApp(id: 1, slug: "porter-dev", publicKeyPEM: ""))
        try await Application(router: emulator.router()).test(.live) { client in
            let base = "http://127.0.0.1:\(client.port!)"
            emulator.baseURL = base
            // Webhooks go to a path that answers 404: the attempt is still recorded, as GitHub does.
            emulator.configureWebhooks(url: "\(base)/_emulator/no-hook-here", secret: "s")
            try await seed(emulator)
            try await body(emulator, base)
        }
    }

    @Test func theDemoIssuesPageTakesACommentFromTheSignedInPersonAndDeliversIt() async throws {
        try await Self.serve(seed: { _ in }) { emulator, base in
            let issueURL = try await emulator.seedDemo()
            #expect(issueURL == "\(base)/octo/hello/issues/1")
            #expect(emulator.authorizingUser == "octo", "the demo's person is signed in")
            #expect(
                await emulator.fileText(owner: "octo", repo: "hello", path: "hello.sh", ref: "main")
                    == "#!/bin/sh\necho hi\n")

            let page = try await Self.get(issueURL)
            #expect(page.status == 200)
            #expect(page.html.contains("The greeting is too terse"))
            #expect(page.html.contains("Commenting as <strong>@octo</strong>"))
            #expect(page.html.contains(#"action="/octo/hello/issues/1/comment""#))

            let posted = try await Self.postForm(
                "\(base)/octo/hello/issues/1/comment", ["body": "@porter demo make the greeting friendlier"])
            #expect(posted.status == 303)
            #expect(posted.location == "/octo/hello/issues/1#new-comment")
            #expect(
                emulator.comments(owner: "octo", repo: "hello", issue: 1) == [
                    "@porter demo make the greeting friendlier"
                ])
            let delivery = try #require(emulator.deliveries.last)
            #expect(delivery.event == "issue_comment")
            #expect(delivery.action == "created")
            #expect(try await Self.get(issueURL).html.contains("@porter demo make the greeting friendlier"))

            let repository = try await Self.get("\(base)/octo/hello")
            #expect(repository.status == 200)
            #expect(repository.html.contains(#"<a href="/octo/hello/issues/1">The greeting is too terse</a>"#))
        }
    }

    @Test func whatPeopleAndAgentsWroteIsEscapedWithPortersMarkdownShownAndItsMarkersHidden() async throws {
        try await Self.serve(seed: { try await $0.seedDemo() }) { emulator, base in
            _ = try await emulator.comment(
                owner: "octo", repo: "hello", issue: 1, author: "porter-dev[bot]",
                body:
                    #"<script>alert("x")</script> Pull request: http://127.0.0.1:9001/octo/hello/pull/2. "quoted https://example.com/a?b=1&c=2""#
            )
            _ = try await emulator.comment(
                owner: "octo", repo: "hello", issue: 1, author: "porter-dev[bot]",
                body:
                    "**Porter** · running `demo`\n\n[Task page](http://127.0.0.1:8080/tasks/t1)\n\n<!-- porter:task:t1:status -->"
            )
            let html = try await Self.get("\(base)/octo/hello/issues/1").html
            #expect(html.contains("<strong>Porter</strong> · running <code>demo</code>"))
            #expect(html.contains(#"<a href="http://127.0.0.1:8080/tasks/t1">Task page</a>"#))
            #expect(!html.contains("porter:task:t1:status"), "Porter's marker is hidden, as on GitHub")
            #expect(!html.contains("<script>alert"))
            #expect(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"))
            #expect(
                html.contains(#"<a href="http://127.0.0.1:9001/octo/hello/pull/2">"#), "the full stop is not part of it"
            )
            #expect(html.contains(#"<a href="https://example.com/a?b=1&amp;c=2">"#), "the quote is not part of it")
        }
    }

    @Test func aPullRequestHasItsOwnPageAndItsIssueAddressLeadsThere() async throws {
        try await Self.serve(seed: { try await $0.seedDemo() }) { emulator, base in
            _ = try await emulator.pushCommit(
                owner: "octo", repo: "hello", branch: "porter/greeting", files: ["hello.sh": "echo hello\n"])
            let number = try await emulator.addPullRequest(
                owner: "octo", repo: "hello", title: "Friendlier greeting", body: "Fixes #1", head: "porter/greeting",
                author: "porter-dev[bot]", draft: true)
            let pull = try await Self.get("\(base)/octo/hello/pull/\(number)")
            #expect(pull.status == 200)
            #expect(pull.html.contains("Friendlier greeting"))
            #expect(pull.html.contains(#"<span class="state draft">Draft</span>"#))
            #expect(pull.html.contains("<code>porter/greeting</code> → <code>main</code>"))

            let viaIssues = try await Self.get("\(base)/octo/hello/issues/\(number)")
            #expect(viaIssues.status == 303)
            #expect(viaIssues.location == "/octo/hello/pull/\(number)")
            #expect(try await Self.get("\(base)/octo/hello/pull/1").location == "/octo/hello/issues/1")
        }
    }

    @Test func unknownPagesAreNotFoundAndAFormWithoutTextOrPersonPostsNothing() async throws {
        try await Self.serve(seed: { emulator in
            try await emulator.addRepository(owner: "acme", name: "widgets")
            emulator.addIssue(owner: "acme", repo: "widgets", title: "Nobody signed in", author: "alice")
        }) { emulator, base in
            #expect(try await Self.get("\(base)/acme/nothing").status == 404)
            #expect(try await Self.get("\(base)/acme/widgets/issues/9").status == 404)
            let page = try await Self.get("\(base)/acme/widgets/issues/1")
            #expect(page.html.contains(#"<label for="login">Comment as</label>"#), "nobody is signed in")

            let form = "\(base)/acme/widgets/issues/1/comment"
            #expect(try await Self.postForm(form, ["body": "hello"]).status == 422, "no login")
            #expect(try await Self.postForm(form, ["login": "alice", "body": "  "]).status == 422, "no text")
            #expect(emulator.comments(owner: "acme", repo: "widgets", issue: 1).isEmpty)
            #expect(try await Self.postForm(form, ["login": "alice", "body": "hello"]).status == 303)
            #expect(emulator.comments(owner: "acme", repo: "widgets", issue: 1) == ["hello"])
        }
    }
}
