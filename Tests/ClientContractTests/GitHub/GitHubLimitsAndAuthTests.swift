import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import PorterEmulators
import PorterKit
import Synchronization
import Testing
import _CryptoExtras

@Suite struct GitHubLimitsAndAuthTests {
    /// Reads issue #1 once the installation's quota was refused as used up, with its window resetting
    /// `resetIn` seconds after the refusal is set up (negative: already reset); returns how long the
    /// read took and how many refusals were injected.
    static func readAfterUsedUpQuota(
        resetIn: Int, maxWait: Duration
    ) async throws -> (number: Int, elapsed: Duration, refusals: Int) {
        let world = try await GitHubWorld.make()
        let emulator = world.emulator
        let id = world.installationID
        let (number, elapsed) = try await world.live { github, _ in
            let github = {
                var client = github
                client.maxRateLimitWait = maxWait
                return client
            }()
            // The installation token first, so the timed call is one call, however loaded the machine.
            _ = try await github.issue(installationID: id, owner: "acme", repo: "widgets", number: 1)
            // Added here, once the server is up, so the reset really is `resetIn` seconds away.
            emulator.faults.add(
                .init(
                    method: "GET", pathPrefix: "/repos/acme/widgets/issues/1", status: 403,
                    headers: [
                        "x-ratelimit-limit": "5000", "x-ratelimit-remaining": "0",
                        "x-ratelimit-reset": String(Int(Date().timeIntervalSince1970) + resetIn),
                    ],
                    body: #"{"message":"API rate limit exceeded for installation ID \#(id)."}"#, remaining: 1))
            let start = ContinuousClock.now
            let issue = try await github.issue(installationID: id, owner: "acme", repo: "widgets", number: 1)
            return (issue.number, ContinuousClock.now - start)
        }
        return (number, elapsed, emulator.faults.injectedCount)
    }

    @Test func aUsedUpPrimaryLimitIsWaitedOutUntilTheResetAndThenTheCallSucceeds() async throws {
        // Long enough to wait out the reset, far shorter than the minute a secondary limit would cost.
        let (number, elapsed, refusals) = try await Self.readAfterUsedUpQuota(resetIn: 2, maxWait: .seconds(10))
        #expect(number == 1)
        #expect(refusals == 1)
        #expect(elapsed >= .seconds(1), "the client must wait for x-ratelimit-reset, waited \(elapsed)")
        #expect(elapsed < .seconds(6), "the client must wait for the reset, not a secondary-limit minute: \(elapsed)")
    }

    @Test func aRefusalArrivingAfterItsResetIsRetriedAtOnceNotAfterAMinute() async throws {
        // A quota used up in a window that has already ended by the time the answer is read.
        let (number, elapsed, refusals) = try await Self.readAfterUsedUpQuota(resetIn: -5, maxWait: .seconds(30))
        #expect(number == 1)
        #expect(refusals == 1)
        #expect(elapsed < .seconds(20), "a new window needs no secondary-limit minute: waited \(elapsed)")
    }

    @Test func theEmulatorRefusesMutationsFasterThanOneASecond() async throws {
        let world = try await GitHubWorld.make()
        let emulator = world.emulator
        emulator.enforcesMutationLimit = true
        let id = world.installationID
        let calls = 4
        let outcomes = try await world.live { github, _ in
            let github = {
                var client = github
                // Switch off the client's own pacing and patience so the emulator's limit is what answers.
                client.mutationSpacing = .zero
                client.maxRateLimitWait = .milliseconds(50)
                client.rateLimitRetries = 1
                return client
            }()
            return await withTaskGroup(of: Int?.self) { group in
                for index in 0..<calls {
                    group.addTask {
                        do {
                            _ = try await github.createIssueComment(
                                installationID: id, owner: "acme", repo: "widgets", issue: 1, body: "burst \(index)")
                            return nil
                        } catch let error as APIError {
                            return error.statusCode ?? -1
                        } catch {
                            return -1
                        }
                    }
                }
                return await group.reduce(into: [Int?]()) { $0.append($1) }
            }
        }
        let refusals = outcomes.compactMap { $0 }
        #expect(emulator.mutationLimitViolations > 0)
        #expect(refusals.count == emulator.mutationLimitViolations)
        #expect(refusals.allSatisfy { $0 == 403 }, "refusals must be secondary-limit 403s: \(refusals)")
        #expect(emulator.comments(owner: "acme", repo: "widgets", issue: 1).count == calls - refusals.count)
    }

    @Test func theEmulatorRefusesExpiredForeignAndMisissuedAppJWTs() async throws {
        let world = try await GitHubWorld.make()
        let pem = GitHubTestKeys.app.pemRepresentation
        let appID = GitHubTestKeys.appID
        let foreignKey = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        // All signed by GitHubAppJWT, so each differs from a good token in one way only.
        let good = try await GitHubAppJWT(credentials: .init(appID: appID, slug: nil, privateKeyPEM: pem)).token()
        let expired = try await GitHubAppJWT(credentials: .init(appID: appID, slug: nil, privateKeyPEM: pem))
            .token(now: Date().addingTimeInterval(-20 * 60))
        let foreign = try await GitHubAppJWT(
            credentials: .init(appID: appID, slug: nil, privateKeyPEM: foreignKey.pemRepresentation)
        ).token()
        let misissued = try await GitHubAppJWT(credentials: .init(appID: appID + 1, slug: nil, privateKeyPEM: pem))
            .token()
        let statuses = try await world.live { _, port in
            var statuses: [String: UInt] = [:]
            for (name, token) in [("expired", expired), ("foreign", foreign), ("misissued", misissued), ("good", good)]
            {
                var request = HTTPClientRequest(
                    url: "http://127.0.0.1:\(port)/app/installations/\(world.installationID)/access_tokens")
                request.method = .POST
                request.headers.add(name: "Authorization", value: "Bearer \(token)")
                statuses[name] = try await HTTPClient.shared.execute(request, timeout: .seconds(10)).status.code
            }
            return statuses
        }
        #expect(statuses == ["expired": 401, "foreign": 401, "misissued": 401, "good": 201])
        #expect(world.emulator.tokenMintCount(installationID: world.installationID) == 1)
    }

    /// Records every request a fake GitHub Enterprise Server receives, matched to a route or not.
    struct Recorder<Context: RequestContext>: RouterMiddleware {
        let seen: Seen

        func handle(
            _ request: Request, context: Context, next: (Request, Context) async throws -> Response
        ) async throws -> Response {
            seen.requests.withLock { $0.append((request.uri.path, request.headers[.authorization])) }
            return try await next(request, context)
        }
    }

    final class Seen: Sendable {
        let requests = Mutex<[(path: String, authorization: String?)]>([])
    }

    @Test(arguments: ["/api/v3", "/api/v3/"])
    func enterpriseServerCallsGoUnderTheAPIPathPrefix(prefix: String) async throws {
        let seen = Seen()
        let router = Router()
        router.add(middleware: Recorder(seen: seen))
        router.get("/api/v3/user") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: #"{"id":7,"login":"octocat","type":"User"}"#)))
        }
        router.get("/api/v3/user/installations") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: #"{"total_count":0,"installations":[]}"#)))
        }
        let (user, installations) = try await Application(router: router).test(.live) { client in
            let root = "http://127.0.0.1:\(client.port!)"
            let github = GitHubClient(
                endpoints: GitHubEndpoints(apiURL: URL(string: root + prefix)!, webURL: URL(string: root)!),
                app: nil, retry: .none, logger: Logger(label: "ghes-test"))
            return (
                try await github.authenticatedUser(token: "gho_enterprise"),
                try await github.userInstallations(token: "gho_enterprise")
            )
        }
        #expect(user.login == "octocat")
        #expect(installations.isEmpty)
        let requests = seen.requests.withLock { $0 }
        #expect(requests.map(\.path) == ["/api/v3/user", "/api/v3/user/installations"])
        #expect(requests.allSatisfy { $0.authorization == "Bearer gho_enterprise" })
    }
}
