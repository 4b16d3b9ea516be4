import Foundation
import Hummingbird
import Testing

@testable import PorterKit
@testable import WebAPI

/// The small parts of the web app that need no server.
@Suite struct WebPiecesTests {
    @Test func formsDecodePlusAndPercentEscapesAndKeepEmptyFields() {
        let form = Form("name=ANTHROPIC_API_KEY&value=a%2Bb+c%26d&_csrf=&flag")
        #expect(form["name"] == "ANTHROPIC_API_KEY")
        #expect(form["value"] == "a+b c&d")
        #expect(form["_csrf"] == "")
        #expect(form["flag"] == "")
        #expect(form["missing"] == nil)
    }

    @Test func cookiesAreSecureAndPrefixedOnlyBehindTLS() {
        let secret = Secret(String(repeating: "k", count: 40))
        let tls = SessionSettings(secret: secret, secureCookies: true)
        #expect(tls.sessionCookie == "__Host-porter_session")
        #expect(
            tls.cookie(tls.sessionCookie, value: "v", maxAge: .seconds(60))
                == "__Host-porter_session=v; Path=/; HttpOnly; SameSite=Lax; Max-Age=60; Secure")
        let plain = SessionSettings(secret: secret, secureCookies: false)
        #expect(plain.expiredCookie("porter_session") == "porter_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
    }

    @Test(arguments: [
        ("", "empty_value"), ("   ", "empty_value"), ("two words", "malformed_value"), ("tab\there", "malformed_value"),
        (String(repeating: "x", count: 5000), "too_long"),
    ])
    func pastedSecretsThatCannotBeKeysAreRefused(value: String, code: String) {
        #expect(throws: WebError.self) { try AccountSettings.checkedSecret(value, what: "KEY") }
        do {
            _ = try AccountSettings.checkedSecret(value, what: "KEY")
        } catch {
            #expect(error.code == code)
        }
    }

    @Test func aPastedKeyIsTrimmedOfTheNewlineACopyAddsAndOnlyLongValuesGetAHint() throws {
        #expect(try AccountSettings.checkedSecret("  sk-ant-abc\n", what: "KEY") == "sk-ant-abc")
        #expect(StoredSecret.lastCharacters(of: "sk-ant-0123456789abcdef") == "cdef")
        #expect(StoredSecret.lastCharacters(of: "short-key") == nil)
    }

    @Test func flyNamesAreLowercaseLettersDigitsAndDashes() {
        #expect(AccountSettings.validFlyName("my-workers-2"))
        #expect(!AccountSettings.validFlyName("My_Workers"))
        #expect(!AccountSettings.validFlyName(""))
        #expect(!AccountSettings.validFlyName(String(repeating: "a", count: 64)))
    }

    @Test func tokensAreUnguessableAndComparedWholly() {
        let a = RandomToken.make()
        #expect(a.count == 43)
        #expect(a != RandomToken.make())
        #expect(!a.contains("+") && !a.contains("/") && !a.contains("="))
        #expect(RandomToken.equal(Array("abc".utf8), Array("abc".utf8)))
        #expect(!RandomToken.equal(Array("abc".utf8), Array("abd".utf8)))
        #expect(!RandomToken.equal(Array("abc".utf8), Array("abcd".utf8)))
    }

    @Test func theOpenAPIDocumentDescribesEveryAPIRouteTheRouterServes() throws {
        let directory = Pages.resourceDirectory(environment: [:])
        let data = try Data(contentsOf: URL(fileURLWithPath: directory).appendingPathComponent("openapi.json"))
        let document = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(document["openapi"] as? String == "3.1.0")
        let paths = try #require(document["paths"] as? [String: Any])
        for path in [
            "/api/me", "/api/config", "/api/config/providers", "/api/config/provider-credentials",
            "/api/config/credentials", "/api/config/fly", "/api/config/validate/fly", "/api/startup/check",
            "/api/auth/diagnostics", "/api/rate-limit", "/api/auth/github", "/api/auth/github/callback",
            "/api/auth/logout", "/api/github/installations", "/api/github/repositories",
        ] {
            #expect(paths[path] != nil, "\(path) is undocumented")
        }
    }
}

/// Pages render from dictionaries made of their view models (`TemplateContext`), not from the
/// models themselves: the HTML must be the same to the byte.
@Suite struct TemplateContextTests {
    static func summary(_ n: Int, finished: Bool) -> TaskSummary {
        let created = Date(timeIntervalSince1970: 1_790_000_000 + Double(n) * 61)
        return TaskSummary(
            id: UUID().uuidString.lowercased(), repository: "acme/widgets", issueNumber: n,
            issueTitle: n % 3 == 0 ? nil : "Fix <b>\(n)</b> & more", requester: "octo", agent: "claude",
            model: n % 2 == 0 ? "sonnet" : nil, status: finished ? "succeeded" : "running",
            statusReason: nil, phase: finished ? nil : "running tests", branch: nil,
            pullRequestURL: finished ? "https://github.com/acme/widgets/pull/\(n)" : nil, createdAt: created,
            startedAt: created.addingTimeInterval(3), finishedAt: finished ? created.addingTimeInterval(170) : nil)
    }

    @Test func dashboardAndHistoryRenderTheSameAsFromTheirModels() async throws {
        let pages = try await Pages(
            directory: Pages.resourceDirectory(environment: [:]) + "/Templates", imageOrigins: [])
        let tasks = (1...12).map { Self.summary($0, finished: $0 % 4 != 0) }
        var dashboard = DashboardView(
            page: Chrome(title: "Dashboard", user: nil, section: .dashboard), filter: .all,
            counts: ["running": 3, "succeeded": 9, "queued": 0], tasks: tasks, next: nil, isFirstPage: false,
            since: 42, now: Date(timeIntervalSince1970: 1_790_001_000))
        dashboard.agentsPanel = .init(
            [
                AgentStats(
                    agent: "claude", model: nil, runs: 4, succeeded: 3, failed: 1, cancelled: 0, finished: 4,
                    successRate: 0.75, medianDurationSeconds: 167, p90DurationSeconds: 200, pullRequestsOpened: 3,
                    pullRequestsMerged: 0)
            ], window: .month, filter: .all)
        var history = HistoryPageView(
            page: Chrome(title: "History", user: nil, section: .history),
            form: HistoryPageView.Fields(Parameters([("agent", "claude"), ("search", "<script>")])),
            agents: Agent.coding)
        history.show(
            tasks: tasks, next: nil,
            stats: TaskStats(
                tasks: 12, finished: 9, succeeded: 9, medianDurationSeconds: 167, p90DurationSeconds: nil,
                pullRequestsOpened: 0),
            suggestions: HistoryPageView.Suggestions())
        for (template, model) in [("dashboard", dashboard as Any), ("history", history as Any)] {
            let direct = pages.library.render(model, withTemplate: template)
            let converted = pages.library.render(TemplateContext.make(model), withTemplate: template)
            #expect(direct != nil)
            #expect(converted == direct, "\(template)")
            #expect(direct?.contains("Fix &lt;b&gt;1&lt;/b&gt; &amp; more") == true)
        }
    }
}
