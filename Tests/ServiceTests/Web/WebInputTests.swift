import Foundation
import HTTPTypes
import PorterKit
import PorterTestSupport
import Testing

@testable import WebAPI

/// Text PostgreSQL cannot hold: a NUL character (U+0000) in a JSON body, a form or a query is a 400
/// that names it, in a path a 404, before anything is read or saved; never a 500.
@Suite(.timeLimit(.minutes(3))) struct WebInputTests {
    func expectNULRefused(_ page: Page, api: Bool = true, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(page.status == .badRequest, "\(page.status): \(page.body)", sourceLocation: sourceLocation)
        if api {
            #expect(try page.json()["error"] as? String == "nul_character", sourceLocation: sourceLocation)
        } else {
            #expect(page.body.contains("NUL character"), sourceLocation: sourceLocation)
        }
    }

    @Test func aNULCharacterAnywhereIsRefusedWithItsNameAndSavesNothing() async throws {
        try await WebWorld.run { world in
            let browser = try await world.signedIn()
            let before = try await browser.send(.put, "/api/config", json: #"{"defaultModel":"opus"}"#)
            #expect(before.status == .ok)

            try expectNULRefused(
                try await browser.send(
                    .put, "/api/config", json: #"{"defaultAgent": "claude-code", "defaultModel": "\u00008"}"#))
            try expectNULRefused(
                try await browser.send(
                    .put, "/api/config/provider-credentials", json: #"{"anthropic":{"ANTHROPIC_API_KEY":"sk-\u0000"}}"#
                ))
            try expectNULRefused(
                try await browser.send(.put, "/api/config/fly", json: #"{"flyAppName":"a\u0000b"}"#))
            try expectNULRefused(
                try await browser.send(
                    .post, "/api/tasks",
                    json: #"{"repository":"acme/widgets","issueNumber":1,"agent":"claude","instructions":"fix\u0000"}"#
                ))
            try expectNULRefused(try await browser.get("/api/tasks/history?search=a%00b"))
            try expectNULRefused(try await browser.get("/api/tasks?status=queued%00"))
            try expectNULRefused(try await browser.get("/history?search=%00"), api: false)
            #expect(try await browser.get("/api/github/issues/ac%00me/widgets").status == .notFound)
            try expectNULRefused(
                try await browser.post("/settings/keys", form: ["name": "ANTHROPIC_API_KEY", "value": "sk-\u{0}x"]),
                api: false)

            let config = try await browser.get("/api/config").json()
            #expect(config["defaultModel"] as? String == "opus", "the refused writes changed nothing")
            let providers = config["providers"] as? [String: [String: [String: Any]]]
            #expect(providers?["anthropic"]?["ANTHROPIC_API_KEY"]?["configured"] as? Bool == false)
            let tasks = try await world.database.query("SELECT count(*)::integer FROM tasks").collect().first?
                .decode(Int.self)
            #expect(tasks == 0)
            // A percent sign followed by zeros is text like any other.
            #expect(try await browser.get("/api/tasks/history?search=%2500").status == .ok)
        }
    }
}
