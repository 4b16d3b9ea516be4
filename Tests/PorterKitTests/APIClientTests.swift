import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import NIOHTTP1
import PorterEmulators
import Synchronization
import Testing

@testable import PorterKit

@Suite struct APIClientTests {
    final class Counter: Sendable {
        let value = Mutex(0)
        func next() -> Int {
            value.withLock {
                $0 += 1; return $0
            }
        }
        var count: Int { value.withLock { $0 } }
    }

    /// A small API with a fault injector in front, served for real on a loopback port.
    func withServer(
        _ faults: FaultInjector, hits: Counter = Counter(), _ body: @escaping @Sendable (URL) async throws -> Void
    ) async throws {
        let router = Router()
        router.add(middleware: FaultMiddleware(faults))
        router.get("/thing") { _, _ in
            _ = hits.next()
            return #"{"some_value":42}"#
        }
        router.post("/things") { _, _ -> HTTPResponse.Status in
            _ = hits.next()
            return .created
        }
        router.get("/big") { _, _ in String(repeating: "x", count: 4096) }
        router.get("/slow") { _, _ -> String in
            try await Task.sleep(for: .seconds(3))
            return "late"
        }
        try await Application(router: router).test(.live) { client in
            try await body(URL(string: "http://127.0.0.1:\(client.port!)")!)
        }
    }

    func client(
        _ url: URL, timeout: TimeAmount = .seconds(5),
        retry: RetryPolicy = RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(10))
    ) -> APIClient {
        APIClient(
            api: "test", baseURL: url, timeout: timeout, maxResponseBytes: 1024, retry: retry,
            logger: Logger(label: "t"))
    }

    struct Thing: Decodable { let someValue: Int }

    @Test func transientFailuresOfSafeCallsAreRetried() async throws {
        let faults = FaultInjector()
        faults.add(.init(method: "GET", status: 503, remaining: 2))
        let hits = Counter()
        try await withServer(faults, hits: hits) { url in
            let response = try await client(url).send(APIRequest(.GET, "/thing", operation: "get_thing"))
            #expect(try response.decode(Thing.self, api: "test", operation: "get_thing").someValue == 42)
        }
        #expect(faults.injectedCount == 2)
        #expect(hits.count == 1)
    }

    @Test func unsafeCallsAreNeverRetriedBlindly() async throws {
        let faults = FaultInjector()
        faults.add(.init(method: "POST", status: 502, remaining: 1))
        let hits = Counter()
        try await withServer(faults, hits: hits) { url in
            let error = await #expect(throws: APIError.self) {
                try await client(url).send(APIRequest(.POST, "/things", operation: "create_thing"))
            }
            #expect(error?.statusCode == 502)
        }
        #expect(faults.injectedCount == 1)
        #expect(hits.count == 0)
    }

    @Test func retriesStopAtTheLimit() async throws {
        let faults = FaultInjector()
        faults.add(.init(status: 500))
        try await withServer(faults) { url in
            await #expect(throws: APIError.self) {
                try await client(url).send(APIRequest(.GET, "/thing", operation: "get"))
            }
        }
        #expect(faults.injectedCount == 3)
    }

    @Test func errorBodiesAreRedactedAndTruncated() async throws {
        let faults = FaultInjector()
        let token = "ghs_16C7e42F292c6912E7710c838347Ae178B4a"
        faults.add(.init(status: 422, body: "bad token \(token) " + String(repeating: "y", count: 2000)))
        try await withServer(faults) { url in
            let error = try #require(
                await #expect(throws: APIError.self) {
                    try await client(url).send(APIRequest(.GET, "/thing", operation: "get"))
                })
            #expect(error.statusCode == 422)
            #expect(!"\(error)".contains(token))
            #expect("\(error)".count < 700)
        }
    }

    @Test func retryAfterIsHonoured() async throws {
        let faults = FaultInjector()
        faults.add(.init(status: 429, headers: ["Retry-After": "1"], remaining: 1))
        try await withServer(faults) { url in
            let start = ContinuousClock.now
            _ = try await client(url).send(APIRequest(.GET, "/thing", operation: "get"))
            #expect(ContinuousClock.now - start >= .seconds(1))
        }
    }

    @Test func oversizedAnswersAndTimeoutsAreTypedErrors() async throws {
        try await withServer(FaultInjector()) { url in
            let api = client(url, retry: .none)
            let big = await #expect(throws: APIError.self) {
                try await api.send(APIRequest(.GET, "/big", operation: "big"))
            }
            guard case .responseTooLarge = big else {
                Issue.record("expected responseTooLarge, got \(String(describing: big))"); return
            }
            let impatient = client(url, timeout: .seconds(1), retry: .none)
            let slow = await #expect(throws: APIError.self) {
                try await impatient.send(APIRequest(.GET, "/slow", operation: "slow"))
            }
            guard case .timeout = slow else {
                Issue.record("expected timeout, got \(String(describing: slow))"); return
            }
        }
    }

    @Test func unreachableServersAreTransportErrors() async throws {
        let api = client(URL(string: "http://127.0.0.1:9")!, retry: .none)
        let error = await #expect(throws: APIError.self) { try await api.send(APIRequest(.GET, "/x", operation: "x")) }
        #expect(error?.isTransient == true)
    }

    @Test func rateLimiterNeverExceedsRateAndBurst() async throws {
        let limiter = RateLimiter()
        let limit = RateLimiter.Limit(rate: 10, burst: 3)
        var times: [ContinuousClock.Instant] = []
        for _ in 0..<13 {
            try await limiter.acquire("app/create", limit: limit)
            times.append(.now)
        }
        // In any window of one second, at most burst + rate calls go out.
        for (index, start) in times.enumerated() {
            let inWindow = times[index...].prefix { $0 - start < .seconds(1) }.count
            #expect(inWindow <= 13)
        }
        #expect(times.last! - times.first! >= .milliseconds(900))
        // Another key has its own bucket: with one key's single token used, a shared bucket would make
        // the next call wait 2 s; the other key's call goes at once.
        let slow = RateLimiter.Limit(rate: 0.5, burst: 1)
        try await limiter.acquire("app/delete", limit: slow)
        let other = ContinuousClock.now
        try await limiter.acquire("app/get", limit: slow)
        #expect(ContinuousClock.now - other < .seconds(1))
    }

    @Test func refilledBucketsAreForgotten() async throws {
        let limiter = RateLimiter()
        let limit = RateLimiter.Limit(rate: 1000, burst: 1)
        for index in 0..<300 { try await limiter.acquire("installation-\(index)", limit: limit) }
        try await Task.sleep(for: .milliseconds(20))
        for _ in 0..<256 { try await limiter.acquire("busy", limit: limit) }
        #expect(await limiter.trackedKeys <= 2)
    }

    @Test func backoffGrowsIsCappedAndRespectsTheServer() {
        let policy = RetryPolicy(maxAttempts: 10, baseDelay: .milliseconds(100), maxDelay: .seconds(2))
        #expect(policy.delay(afterAttempt: 1) <= .milliseconds(100))
        #expect(policy.delay(afterAttempt: 1) >= .milliseconds(50))
        #expect(policy.delay(afterAttempt: 9) <= .seconds(2))
        #expect(policy.delay(afterAttempt: 1, serverAsked: .seconds(5)) >= .seconds(5))
    }

    /// An APIClient whose transport fails the first `failures` sends with a dropped connection, then
    /// sends for real; `sends` counts every send the client attempted.
    func flakyClient(_ url: URL, failures: Int, sends: Counter) -> APIClient {
        APIClient(
            api: "test", baseURL: url, maxResponseBytes: 1024,
            retry: RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(10)), logger: Logger(label: "t"),
            transport: { request, timeout in
                if sends.next() <= failures { throw HTTPClientError.remoteConnectionClosed }
                return try await HTTPClient.shared.execute(request, timeout: timeout)
            })
    }

    @Test func aSafeCallWhoseConnectionDropsIsSentAgain() async throws {
        let sends = Counter()
        let hits = Counter()
        try await withServer(FaultInjector(), hits: hits) { url in
            let response = try await flakyClient(url, failures: 1, sends: sends)
                .send(APIRequest(.GET, "/thing", operation: "get_thing"))
            #expect(try response.decode(Thing.self, api: "test", operation: "get_thing").someValue == 42)
        }
        #expect(sends.count == 2)
        #expect(hits.count == 1)
    }

    @Test func anUnsafeCallWhoseConnectionDropsIsNotSentAgain() async throws {
        let sends = Counter()
        let hits = Counter()
        try await withServer(FaultInjector(), hits: hits) { url in
            let error = await #expect(throws: APIError.self) {
                try await flakyClient(url, failures: 1, sends: sends)
                    .send(APIRequest(.POST, "/things", operation: "create_thing"))
            }
            guard case .transport = error else {
                Issue.record("expected a transport error, got \(String(describing: error))"); return
            }
            #expect(error?.isTransient == true)
        }
        #expect(sends.count == 1)
        #expect(hits.count == 0)
    }

    @Test func installationTokensAreReplacedFiveMinutesBeforeTheyExpire() async throws {
        let cache = InstallationTokenCache()
        let mints = Counter()
        let start = Date()
        let mint: @Sendable () async throws -> GitHubInstallationToken = {
            let number = mints.next()
            return GitHubInstallationToken(token: "ghs_\(number)", expiresAt: start.addingTimeInterval(10 * 60))
        }
        #expect(try await cache.token(for: 1, now: start, mint: mint).token == "ghs_1")
        // Six minutes left: still served from the cache.
        #expect(try await cache.token(for: 1, now: start.addingTimeInterval(4 * 60), mint: mint).token == "ghs_1")
        #expect(mints.count == 1)
        // Just under five minutes left: replaced.
        #expect(try await cache.token(for: 1, now: start.addingTimeInterval(5 * 60 + 1), mint: mint).token == "ghs_2")
        #expect(mints.count == 2)
    }

    @Test func aTokenMintedWithUnderFiveMinutesLeftIsNotServedAgain() async throws {
        let cache = InstallationTokenCache()
        let mints = Counter()
        let now = Date()
        let mint: @Sendable () async throws -> GitHubInstallationToken = {
            GitHubInstallationToken(token: "ghs_\(mints.next())", expiresAt: now.addingTimeInterval(4 * 60))
        }
        #expect(try await cache.token(for: 7, now: now, mint: mint).token == "ghs_1")
        #expect(try await cache.token(for: 7, now: now, mint: mint).token == "ghs_2")
        #expect(mints.count == 2)
    }
}
