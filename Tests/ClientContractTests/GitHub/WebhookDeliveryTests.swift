import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import PorterEmulators
import PorterKit
import PorterTestSupport
import Synchronization
import Testing

@Suite struct WebhookDeliveryTests {
    struct Received: Sendable {
        var headers: [String: String]
        var body: Data
    }

    final class Inbox: Sendable {
        let received = Mutex<[Received]>([])
    }

    /// Key paths of the payload's objects, two levels deep: the structure a consumer's decoder relies on.
    static func keyPaths(_ object: [String: Any]) -> Set<String> {
        var paths: Set<String> = []
        for (key, value) in object {
            paths.insert(key)
            if let nested = value as? [String: Any], key != "reactions" {
                for inner in nested.keys { paths.insert("\(key).\(inner)") }
            }
        }
        return paths
    }

    @Test func issueCommentsArriveSignedShapedLikeGitHubsAndCanBeRedelivered() async throws {
        let world = try await GitHubWorld.make()
        let emulator = world.emulator
        let inbox = Inbox()
        let router = Router()
        router.post("/hook") { request, _ -> HTTPResponse.Status in
            let body = try await request.body.collect(upTo: 1 << 20)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            inbox.received.withLock { $0.append(Received(headers: headers, body: Data(buffer: body))) }
            return .ok
        }
        let deliveries = try await Application(router: router).test(.live) { receiver in
            emulator.configureWebhooks(url: "http://127.0.0.1:\(receiver.port!)/hook", secret: "s3cret")
            return try await world.live { github, _ in
                try await emulator.comment(
                    owner: "acme", repo: "widgets", issue: 1, author: "octocat", body: "@porter fix")
                let logged = try await github.listHookDeliveries().deliveries
                try await github.redeliverHookDelivery(id: try #require(logged.first).id)
                return try await github.listHookDeliveries().deliveries
            }
        }
        let received = inbox.received.withLock { $0 }
        try #require(received.count == 2)
        let first = received[0]
        #expect(first.headers["x-github-event"] == "issue_comment")
        #expect(first.headers["content-type"] == "application/json")
        #expect(first.headers["user-agent"]?.hasPrefix("GitHub-Hookshot/") == true)
        let guid = try #require(first.headers["x-github-delivery"])
        #expect(UUID(uuidString: guid) != nil)
        let mac = HMAC<SHA256>.authenticationCode(for: first.body, using: SymmetricKey(data: Data("s3cret".utf8)))
        #expect(first.headers["x-hub-signature-256"] == "sha256=" + mac.map { String(format: "%02x", $0) }.joined())
        #expect(received[1].headers["x-github-delivery"] == guid && received[1].body == first.body)

        let payload = try #require(try JSONSerialization.jsonObject(with: first.body) as? [String: Any])
        // The fixture has the fields GitHub sends in an `issue_comment` delivery; the emulator must send the same.
        let reference = try Fixtures.webhook("issue_comment.created.with-installation").value
        let missing = Self.keyPaths(reference).subtracting(Self.keyPaths(payload))
        let extra = Self.keyPaths(payload).subtracting(Self.keyPaths(reference))
        #expect(missing.isEmpty, "missing: \(missing.sorted())")
        #expect(extra.isEmpty, "extra: \(extra.sorted())")
        #expect((payload["installation"] as? [String: Any])?["id"] as? Int == world.installationID)

        #expect(deliveries.count == 2)
        #expect(
            deliveries.map { entry in world.emulator.deliveries.first { $0.id == entry.id }?.redelivery } == [
                true, false,
            ])
        #expect(Set(deliveries.map(\.guid)) == [guid])
        #expect(deliveries.allSatisfy { $0.statusCode == 200 && $0.event == "issue_comment" })
        #expect(world.emulator.deliveries.allSatisfy { $0.status == "OK" })
    }
}
