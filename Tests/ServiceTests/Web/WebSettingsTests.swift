import Foundation
import HTTPTypes
import PorterKit
import PorterTestSupport
import PostgresNIO
import Testing

@testable import WebAPI

/// Settings through the page's forms and the JSON API: keys, defaults and the Fly app, each saved on
/// its own, never shown back, and refused with a reason when they cannot be right.
@Suite(.timeLimit(.minutes(3))) struct WebSettingsTests {
    static let anthropic = "sk-ant-api03-canary-AAAAAAAAAAAAAAAAAAAAAAAA-w1x2"
    static let openai = "sk-proj-canary-BBBBBBBBBBBBBBBBBBBBBBBBBBBB-z9y8"

    @Test func aKeyIsAddedReplacedAndRemovedOnItsOwnThroughTheSettingsForms() async throws {
        try await WebWorld.run { world in
            let browser = try await world.signedIn()
            let saved = try await browser.post(
                "/settings/keys", form: ["name": "ANTHROPIC_API_KEY", "value": Self.anthropic])
            #expect(saved.status == .seeOther)
            #expect(saved.location == "/settings?notice=key_saved&key=ANTHROPIC_API_KEY#keys")
            var page = try await browser.get("/settings?notice=key_saved&key=ANTHROPIC_API_KEY")
            #expect(page.body.contains("ANTHROPIC_API_KEY saved."))
            #expect(page.body.contains("•••• w1x2"))
            #expect(!page.body.contains(Self.anthropic))

            _ = try await browser.post("/settings/keys", form: ["name": "OPENAI_API_KEY", "value": Self.openai])
            _ = try await browser.post(
                "/settings/keys", form: ["name": "ANTHROPIC_API_KEY", "value": "sk-ant-replaced-0000000000000-q7q7"])
            var config = try await browser.get("/api/config").json()
            var providers = config["providers"] as? [String: [String: [String: Any]]]
            #expect(providers?["anthropic"]?["ANTHROPIC_API_KEY"]?["hint"] as? String == "q7q7")
            #expect(providers?["openai"]?["OPENAI_API_KEY"]?["hint"] as? String == "z9y8")

            let removed = try await browser.post("/settings/keys/remove", form: ["name": "ANTHROPIC_API_KEY"])
            #expect(removed.location == "/settings?notice=key_removed&key=ANTHROPIC_API_KEY#keys")
            config = try await browser.get("/api/config").json()
            providers = config["providers"] as? [String: [String: [String: Any]]]
            #expect(providers?["anthropic"]?["ANTHROPIC_API_KEY"]?["configured"] as? Bool == false)
            #expect(providers?["openai"]?["OPENAI_API_KEY"]?["configured"] as? Bool == true, "the other key stays")
            page = try await browser.get("/settings")
            #expect(page.body.contains("Not set"))
        }
    }

    @Test func keyValuesAppearInNoResponsePageLogLineOrColumn() async throws {
        try await WebWorld.run { world in
            let browser = try await world.signedIn()
            var answers: [Page] = []
            answers.append(
                try await browser.send(
                    .put, "/api/config/provider-credentials",
                    json: #"{"anthropic":{"ANTHROPIC_API_KEY":"\#(Self.anthropic)"}}"#))
            answers.append(
                try await browser.send(.put, "/api/config/credentials", json: #"{"openai":"\#(Self.openai)"}"#))
            answers.append(
                try await browser.post(
                    "/settings/keys", form: ["name": "GEMINI_API_KEY", "value": Self.anthropic + "g"]))
            answers.append(
                try await browser.send(
                    .put, "/api/config/fly",
                    json: #"{"flyToken":"\#(WebWorld.flyAppToken)","flyAppName":"acme-existing","setupMode":"deploy"}"#)
            )
            for path in [
                "/api/config", "/api/config/provider-credentials", "/settings", "/api/me", "/diagnostics",
                "/api/auth/diagnostics", "/api/config/validate/fly",
            ] {
                answers.append(try await browser.get(path))
            }
            #expect(answers.allSatisfy { $0.status.code < 400 }, "\(answers.map(\.status.code))")
            let canaries = [
                Self.anthropic, Self.openai, WebWorld.flyAppToken, "canary-AAAA", "canary-BBBB", "apptoken_web",
            ]
            for answer in answers {
                let text = answer.body + String(describing: answer.headers)
                #expect(!canaries.contains { text.contains($0) }, "a secret in an answer")
            }
            let logs = world.logs.all.joined(separator: "\n")
            #expect(!logs.isEmpty)
            #expect(!canaries.contains { logs.contains($0) }, "a secret in the logs")
            let stored = try await world.database.query("SELECT sealed, hint FROM user_secrets").collect()
            #expect(stored.count == 4)
            for row in stored {
                let (sealed, hint) = try row.decode((ByteBuffer, String?).self)
                #expect(!canaries.contains { String(buffer: sealed).contains($0) })
                #expect((hint?.count ?? 4) == 4)
            }
        }
    }

    @Test func savingOneSettingNeverTouchesAnother() async throws {
        try await WebWorld.run { world in
            let browser = try await world.signedIn()
            _ = try await browser.send(
                .put, "/api/config/provider-credentials",
                json:
                    #"{"anthropic":{"ANTHROPIC_API_KEY":"\#(Self.anthropic)"},"openai":{"OPENAI_API_KEY":"\#(Self.openai)"}}"#
            )
            _ = try await browser.send(
                .put, "/api/config", json: #"{"defaultAgent":"claude-code","defaultModel":"opus"}"#)
            // A save of one key, an empty value removing another, and a save of the model alone.
            let status = try await browser.send(
                .put, "/api/config/provider-credentials", json: #"{"openai":{"OPENAI_API_KEY":""}}"#)
            #expect(try status.json()["anthropic"] as? [String: String] == ["ANTHROPIC_API_KEY": "configured"])
            #expect(try status.json()["openai"] as? [String: String] == ["OPENAI_API_KEY": "not_configured"])
            let config = try await browser.send(.put, "/api/config", json: #"{"defaultModel":"sonnet"}"#).json()
            #expect(config["defaultAgent"] as? String == "claude")
            #expect(config["defaultModel"] as? String == "sonnet")
            let cleared = try await browser.send(.put, "/api/config", json: #"{"defaultModel":null}"#).json()
            #expect(cleared["defaultModel"] == nil)
            #expect(cleared["defaultAgent"] as? String == "claude")
            let secrets = PostgresUserSecretStore(
                client: world.database, keyring: world.config.encryptionKeys, logger: TestDatabase.logger)
            let id = Int64(world.github.addUser("octo"))
            #expect(try await secrets.value(userID: id, name: "ANTHROPIC_API_KEY") == Self.anthropic)
        }
    }

    @Test func valuesThatCannotBeRightAreRefusedWithAReasonAndSaveNothing() async throws {
        try await WebWorld.run { world in
            let browser = try await world.signedIn()
            func expectRefused(_ page: Page, _ status: HTTPResponse.Status, _ code: String) throws {
                #expect(page.status == status)
                #expect(try page.json()["error"] as? String == code)
                #expect((try page.json()["message"] as? String)?.isEmpty == false)
            }
            try expectRefused(
                try await browser.send(.put, "/api/config/provider-credentials", json: #"{"nope":{"X":"y"}}"#),
                .unprocessableContent, "unknown_provider")
            try expectRefused(
                try await browser.send(
                    .put, "/api/config/provider-credentials",
                    json: #"{"anthropic":{"OPENAI_API_KEY":"sk-x-0123456789"}}"#),
                .unprocessableContent, "unknown_key")
            try expectRefused(
                try await browser.send(
                    .put, "/api/config/provider-credentials",
                    json:
                        #"{"anthropic":{"ANTHROPIC_API_KEY":"two words here"},"openai":{"OPENAI_API_KEY":"\#(Self.openai)"}}"#
                ),
                .unprocessableContent, "malformed_value")
            try expectRefused(try await browser.send(.put, "/api/config", json: "[1,2]"), .badRequest, "bad_request")
            try expectRefused(
                try await browser.send(.put, "/api/config", json: "{not json"), .badRequest, "bad_request")
            try expectRefused(
                try await browser.send(.put, "/api/config", json: #"{"userId":1,"defaultAgent":"codex"}"#),
                .badRequest, "unknown_field")
            try expectRefused(
                try await browser.send(.put, "/api/config", json: #"{"defaultAgent":"hal9000"}"#),
                .unprocessableContent, "unknown_agent")
            let form = try await browser.post("/settings/keys", form: ["name": "ANTHROPIC_API_KEY", "value": "   "])
            #expect(form.status == .unprocessableContent)
            #expect(form.body.contains("Paste a value for ANTHROPIC_API_KEY."))
            let names = try await world.database.query("SELECT count(*) FROM user_secrets").collect()
            #expect(try names.first?.decode(Int.self) == 0, "nothing was saved, not even the good key beside a bad one")
            #expect(try await browser.get("/api/config").json()["defaultAgent"] == nil)
        }
    }

    @Test func oneUsersKeysAreInvisibleAndUntouchableToAnother() async throws {
        try await WebWorld.run { world in
            let alice = try await world.signedIn("octo")
            world.github.setRole(owner: "acme", repo: "widgets", user: "mallory", role: "write")
            let mallory = try await world.signedIn("mallory")
            _ = try await alice.send(
                .put, "/api/config/provider-credentials",
                json: #"{"anthropic":{"ANTHROPIC_API_KEY":"\#(Self.anthropic)"}}"#)
            let seen = try await mallory.get("/api/config/provider-credentials").json()
            #expect(seen["anthropic"] as? [String: String] == ["ANTHROPIC_API_KEY": "not_configured"])
            _ = try await mallory.send(
                .put, "/api/config/provider-credentials", json: #"{"anthropic":{"ANTHROPIC_API_KEY":""}}"#)
            let kept = try await alice.get("/api/config/provider-credentials").json()
            #expect(kept["anthropic"] as? [String: String] == ["ANTHROPIC_API_KEY": "configured"])
            // Alice's session cookie with Mallory's CSRF token is refused.
            let crossed = try await alice.request(
                .put, "/api/config",
                headers: [
                    .contentType: "application/json", HTTPField.Name("X-CSRF-Token")!: try await mallory.csrfToken(),
                ],
                body: #"{"defaultAgent":"amp"}"#)
            #expect(crossed.status == .forbidden)
        }
    }

    @Test func aFlyTokenFlyRefusesSavesNothing() async throws {
        try await WebWorld.run { world in
            let browser = try await world.signedIn()
            let refused = try await browser.send(
                .put, "/api/config/fly",
                json: #"{"flyToken":"FlyV1 fm2_not_a_token","flyAppName":"mine","flyOrg":"\#(WebWorld.flyOrg)"}"#)
            #expect(refused.status == .unprocessableContent)
            #expect(try refused.json()["error"] as? String == "fly_token_refused")
            #expect((try refused.json()["message"] as? String)?.contains("Fly rejected the token") == true)
            // A deploy token of one app does not work for another.
            let wrongApp = try await browser.send(
                .put, "/api/config/fly",
                json: #"{"flyToken":"\#(WebWorld.flyAppToken)","flyAppName":"someone-else","setupMode":"deploy"}"#)
            #expect(wrongApp.status == .unprocessableContent)
            let fly = try await browser.get("/api/config").json()["fly"] as? [String: Any]
            #expect(fly?["configured"] as? Bool == false)
            let secrets = try await world.database.query("SELECT count(*) FROM user_secrets").collect()
            #expect(try secrets.first?.decode(Int.self) == 0)
            let form = try await browser.post(
                "/settings/fly",
                form: ["token": "FlyV1 fm2_not_a_token", "app": "mine", "org": WebWorld.flyOrg, "mode": "org"])
            #expect(form.status == .unprocessableContent)
            #expect(form.body.contains("Fly rejected the token"))
        }
    }

    @Test func anOrgTokenCreatesAMissingAppAndADeployTokenIsCheckedAgainstItsApp() async throws {
        try await WebWorld.run { world in
            let browser = try await world.signedIn()
            let saved = try await browser.post(
                "/settings/fly",
                form: ["token": WebWorld.flyOrgToken, "app": "octo-workers", "org": WebWorld.flyOrg, "mode": "org"])
            #expect(saved.location == "/settings?notice=fly_org#fly")
            #expect(
                world.fly.receivedRequests.contains {
                    $0.method == "POST" && $0.path == "/v1/apps" && $0.body.contains("octo-workers")
                })
            // The app its workers run in is on a network of its own, not the org's default one.
            #expect(world.fly.network(ofApp: "octo-workers") == "porter-workers-octo-workers")
            #expect(!world.fly.sharePrivateNetwork("octo-workers", "acme-existing"))
            var fly = try await browser.get("/api/config").json()["fly"] as? [String: Any]
            #expect(fly?["configured"] as? Bool == true)
            #expect(fly?["appName"] as? String == "octo-workers")
            #expect(fly?["mode"] as? String == "org")
            #expect(try await browser.get("/api/config/validate/fly").status == .ok)

            let deploy = try await browser.send(
                .put, "/api/config/fly",
                json: #"{"flyToken":"\#(WebWorld.flyAppToken)","flyAppName":"acme-existing","setupMode":"deploy"}"#)
            #expect(deploy.status == .ok)
            #expect(try deploy.json()["mode"] as? String == "deploy")
            let removed = try await browser.send(.delete, "/api/config/fly", json: "")
            #expect(removed.status == .ok)
            fly = try await browser.get("/api/config").json()["fly"] as? [String: Any]
            #expect(fly?["configured"] as? Bool == false)
            #expect(fly?["appName"] == nil)
        }
    }

    @Test func settingsShowTheInstallationOrTheLinkToInstall() async throws {
        try await WebWorld.run { world in
            let member = try await world.signedIn("octo")
            let page = try await member.get("/settings")
            #expect(page.status == .ok)
            #expect(page.body.contains("Installed"))
            #expect(page.body.contains("acme/widgets"))
            let stranger = try await world.signedIn("stranger")
            let other = try await stranger.get("/settings")
            #expect(other.body.contains("Not installed"))
            #expect(other.body.contains("/apps/porter/installations/new"))
            let diagnostics = try await stranger.get("/api/auth/diagnostics").json()
            #expect(diagnostics["nextAction"] as? String == "install_app")
            let ready = try await member.get("/api/auth/diagnostics").json()
            #expect(ready["nextAction"] as? String == "ok", "\(ready)")
            let startup = try await member.get("/api/startup/check").json()
            #expect(startup["ok"] as? Bool == true)
            #expect(try await member.get("/api/auth/github/installed").location == "/settings?installed=1")
        }
    }
}
