import Foundation
import PorterEmulators
import PorterKit
import Testing

/// `deploy/github-app-manifest.json`, which an operator pastes into GitHub's "register a GitHub App
/// from a manifest" page, asks for what Porter uses: the events it acts on, the permissions every
/// test runs with, and Porter's own addresses.
@Suite struct GitHubAppManifestTests {
    static func manifest() throws -> [String: Any] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../../deploy/github-app-manifest.json").standardized
        return try #require(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    /// For each event, an action Porter acts on.
    static let actedOn = [
        "issue_comment": "created", "issues": "closed", "pull_request": "closed",
        "pull_request_review": "submitted", "pull_request_review_comment": "created",
    ]

    @Test func theEventsAreExactlyThoseTheGatewayActsOn() throws {
        let events = try #require(try Self.manifest()["default_events"] as? [String])
        #expect(Set(events) == Set(Self.actedOn.keys))
        let interpreter = WebhookInterpreter(mention: "porter", appSlug: "porter")
        func effect(_ event: String, _ action: String) throws -> DeliveryEffect {
            let payload = try WebhookPayload.envelope(from: Data(#"{"action":"\#(action)"}"#.utf8))
            return interpreter.interpret(event: event, payload: payload)
        }
        for (event, action) in Self.actedOn {
            #expect(try effect(event, action) != .ignore(reason: "event \(event).\(action) is not handled"), "\(event)")
        }
        #expect(try effect("push", "created") == .ignore(reason: "event push.created is not handled"))
    }

    @Test func thePermissionsAreThoseEveryTestRunsWith() throws {
        let permissions = try #require(try Self.manifest()["default_permissions"] as? [String: String])
        #expect(permissions == EmulatedGitHubApp(id: 1, slug: "porter", publicKeyPEM: "").permissions)
        #expect(permissions["administration"] == nil && permissions["workflows"] == nil)
    }

    @Test func theAddressesArePortersOwnAndTheAppIsPrivate() throws {
        let manifest = try Self.manifest()
        let hook = try #require(manifest["hook_attributes"] as? [String: Any])
        #expect(URL(string: try #require(hook["url"] as? String))?.path == "/webhooks/github")
        let callbacks = try #require(manifest["callback_urls"] as? [String])
        #expect(callbacks.compactMap { URL(string: $0)?.path } == ["/api/auth/github/callback"])
        #expect(URL(string: try #require(manifest["setup_url"] as? String))?.path == "/api/auth/github/installed")
        #expect(manifest["public"] as? Bool == false, "anyone could install a public App")
    }
}
