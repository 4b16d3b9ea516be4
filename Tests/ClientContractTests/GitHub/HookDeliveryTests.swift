import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PorterEmulators
import PorterKit
import Synchronization
import Testing
import _CryptoExtras

/// The App's delivery log through the client: listing by cursor, newest first, and redelivery, both
/// only with the App's JWT; and the emulator losing deliveries as an unreachable target would.
@Suite struct HookDeliveryTests {
    final class Inbox: Sendable {
        let guids = Mutex<[String]>([])
    }

    /// Runs `body` with the emulator delivering webhooks to a live receiver that answers 200.
    static func withReceiver<T: Sendable>(
        _ world: GitHubWorld, _ body: @Sendable @escaping (GitHubClient, Int, Inbox) async throws -> T
    ) async throws -> T {
        let inbox = Inbox()
        let router = Router()
        router.post("/hook") { request, _ -> HTTPResponse.Status in
            _ = try await request.body.collect(upTo: 1 << 20)
            let guid = request.headers.first { $0.name.canonicalName == "x-github-delivery" }?.value ?? ""
            inbox.guids.withLock { $0.append(guid) }
            return .ok
        }
        return try await Application(router: router).test(.live) { receiver in
            world.emulator.configureWebhooks(url: "http://127.0.0.1:\(receiver.port!)/hook", secret: "s")
            return try await world.live { github, port in try await body(github, port, inbox) }
        }
    }

    static func comment(_ world: GitHubWorld, _ text: String) async throws {
        try await world.emulator.comment(owner: "acme", repo: "widgets", issue: 1, author: "octocat", body: text)
    }

    @Test func theLogIsPagedByCursorNewestFirst() async throws {
        let world = try await GitHubWorld.make()
        try await Self.withReceiver(world) { github, _, inbox in
            for number in 1...5 { try await Self.comment(world, "comment \(number)") }
            var pages: [GitHubHookDeliveryPage] = []
            var cursor: String?
            repeat {
                let page = try await github.listHookDeliveries(cursor: cursor, perPage: 2)
                pages.append(page)
                cursor = page.nextCursor
            } while cursor != nil && pages.count < 10
            #expect(pages.map(\.deliveries.count) == [2, 2, 1])
            let listed = pages.flatMap(\.deliveries)
            #expect(listed.map(\.id) == listed.map(\.id).sorted(by: >), "newest first")
            #expect(Set(listed.map(\.id)).count == 5)
            #expect(listed.map(\.guid) == Array(inbox.guids.withLock { $0 }.reversed()))
            #expect(listed.allSatisfy { $0.succeeded && $0.statusCode == 200 && $0.action == "created" })
            // What the log holds beyond what Porter reads, as the emulator keeps it.
            let kept = world.emulator.deliveries
            #expect(kept.allSatisfy { $0.status == "OK" && !$0.redelivery })
            #expect(kept.allSatisfy { $0.installationID == world.installationID })
            // One page of 100 holds them all and names no next page.
            let whole = try await github.listHookDeliveries()
            #expect(whole.deliveries == listed && whole.nextCursor == nil)
        }
    }

    @Test func aDroppedDeliveryIsLoggedAsTimedOutAndItsRedeliveryArrivesWithTheSameGUID() async throws {
        let world = try await GitHubWorld.make()
        try await Self.withReceiver(world) { github, _, inbox in
            world.emulator.dropNextDeliveries(1)
            try await Self.comment(world, "@porter claude fix it")
            #expect(inbox.guids.withLock { $0 }.isEmpty, "a dropped delivery is never posted")
            let dropped = try #require(try await github.listHookDeliveries().deliveries.first)
            #expect(dropped.statusCode == 0 && !dropped.succeeded)
            #expect(world.emulator.deliveries.first { $0.id == dropped.id }?.status == "timed out")

            try await github.redeliverHookDelivery(id: dropped.id)
            #expect(inbox.guids.withLock { $0 } == [dropped.guid])
            let log = try await github.listHookDeliveries().deliveries
            #expect(log.map(\.guid) == [dropped.guid, dropped.guid])
            #expect(
                log.map { entry in world.emulator.deliveries.first { $0.id == entry.id }?.redelivery } == [true, false])
            #expect(log[0].id > dropped.id && log[0].succeeded)

            await #expect {
                try await github.redeliverHookDelivery(id: 999_999)
            } throws: { ($0 as? APIError)?.statusCode == 404 }
        }
    }

    @Test func bothCallsNeedTheAppsJWT() async throws {
        let world = try await GitHubWorld.make()
        try await Self.withReceiver(world) { _, port, _ in
            try await Self.comment(world, "hello")
            let stranger = GitHubClient(
                endpoints: GitHubEndpoints(
                    apiURL: URL(string: "http://127.0.0.1:\(port)")!, webURL: URL(string: "http://127.0.0.1:\(port)")!),
                app: GitHubAppCredentials(
                    appID: GitHubTestKeys.appID, slug: "porter",
                    privateKeyPEM: try _RSA.Signing.PrivateKey(keySize: .bits2048).pemRepresentation),
                logger: Logger(label: "github-test"))
            await #expect {
                _ = try await stranger.listHookDeliveries()
            } throws: { ($0 as? APIError)?.statusCode == 401 }
            let id = try #require(world.emulator.deliveries.first?.id)
            await #expect {
                try await stranger.redeliverHookDelivery(id: id)
            } throws: { ($0 as? APIError)?.statusCode == 401 }
            // An installation token is no App JWT either.
            let token = try await GitHubClient(
                endpoints: stranger.endpoints,
                app: GitHubAppCredentials(
                    appID: GitHubTestKeys.appID, slug: "porter", privateKeyPEM: GitHubTestKeys.app.pemRepresentation),
                logger: Logger(label: "github-test")
            ).narrowedInstallationToken(installationID: world.installationID, permissions: ["issues": "read"])
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/app/hook/deliveries")
            request.headers.add(name: "Authorization", value: "Bearer \(token.token)")
            #expect(try await HTTPClient.shared.execute(request, timeout: .seconds(10)).status.code == 401)
            #expect(world.emulator.deliveries.count == 1, "nothing was redelivered")
        }
    }

    @Test func theControlRouteDropsDeliveriesOfAStandaloneEmulator() async throws {
        let world = try await GitHubWorld.make()
        try await Self.withReceiver(world) { _, port, inbox in
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/_emulator/deliveries/drop")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: #"{"count":2}"#))
            #expect(try await HTTPClient.shared.execute(request, timeout: .seconds(10)).status.code == 204)
            for number in 1...3 { try await Self.comment(world, "comment \(number)") }
            #expect(world.emulator.deliveries.map(\.statusCode) == [0, 0, 200])
            #expect(inbox.guids.withLock { $0 } == [world.emulator.deliveries[2].guid])
        }
    }
}
