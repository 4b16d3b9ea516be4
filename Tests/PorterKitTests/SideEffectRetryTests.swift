import Foundation
import PorterKit
import Testing

/// When a failed GitHub side effect is tried again and when it is given up.
@Suite struct SideEffectRetryTests {
    static let policy = SideEffectRetry()
    static let queued = Date(timeIntervalSince1970: 1_800_000_000)

    static func github(_ code: Int, _ body: String = #"{"message":"x"}"#, retryAfter: Duration? = nil) -> APIError {
        .status(code: code, api: "github", operation: "create_comment", body: body, retryAfter: retryAfter)
    }

    static func decide(
        _ kind: String = "create_comment", after error: any Error, hours: Double, attempts: Int = 3,
        policy: SideEffectRetry = policy
    ) -> SideEffectRetry.Decision {
        policy.decide(
            kind: kind, queuedAt: queued, attempts: attempts, after: error,
            now: queued.addingTimeInterval(hours * 3600))
    }

    static func isRetry(_ decision: SideEffectRetry.Decision) -> Bool {
        if case .retry = decision { true } else { false }
    }

    @Test func theDefaultPatienceIsADay() {
        #expect(SideEffectRetry.defaultPatience == .seconds(86_400))
        #expect(Self.policy.maxDelay == .seconds(600))
    }

    static let outages = [github(503), github(502), github(429), APIError.timeout(api: "github", operation: "x")]
    static let refusals = [
        github(422, #"{"message":"Validation Failed"}"#),
        github(404, #"{"message":"Not Found"}"#),
        github(403, #"{"message":"Resource not accessible by integration"}"#),
    ]
    static let rateLimits = [
        github(403, #"{"message":"You have exceeded a secondary rate limit."}"#),
        github(403, #"{"message":"API rate limit exceeded for installation ID 1."}"#),
        github(403, #"{"message":"x"}"#, retryAfter: .seconds(60)),
    ]

    @Test(arguments: SideEffectRetryTests.outages)
    func anOutageIsRetriedThroughoutThePatience(error: APIError) {
        for hours in [0.0, 1, 6, 23.9] {
            #expect(Self.isRetry(Self.decide(after: error, hours: hours, attempts: Int(hours * 6) + 1)))
        }
        #expect(Self.decide(after: error, hours: 24) == .abandon(.patience))
    }

    @Test func thePatienceIsConfigurable() {
        let hour = SideEffectRetry(patience: .seconds(3600))
        #expect(Self.isRetry(Self.decide(after: Self.github(503), hours: 0.9, policy: hour)))
        #expect(Self.decide(after: Self.github(503), hours: 1.1, policy: hour) == .abandon(.patience))
    }

    @Test func aPullRequestIsNeverGivenUpForAnOutage() {
        #expect(Self.isRetry(Self.decide("open_pull_request", after: Self.github(503), hours: 24 * 365)))
    }

    @Test(arguments: SideEffectRetryTests.refusals)
    func aPermanentRefusalIsGivenUpAtOnceWhateverTheKind(error: APIError) {
        for kind in ["create_comment", "set_labels", "open_pull_request"] {
            #expect(Self.decide(kind, after: error, hours: 0, attempts: 1) == .abandon(.refused))
        }
    }

    @Test(arguments: SideEffectRetryTests.rateLimits)
    func aRateLimit403IsNoRefusal(error: APIError) {
        #expect(Self.isRetry(Self.decide(after: error, hours: 1, attempts: 1)))
    }

    @Test func theBackoffGrowsFromTheBaseAndStopsAtTheCap() {
        let policy = SideEffectRetry(baseDelay: .seconds(2), maxDelay: .seconds(600))
        for _ in 0..<50 {
            #expect((.seconds(1)...(.seconds(2))).contains(policy.delay(afterAttempt: 1)))
            #expect((.seconds(8)...(.seconds(16))).contains(policy.delay(afterAttempt: 4)))
            for attempt in [10, 40, 1_000, Int(Int32.max)] {
                #expect((.seconds(300)...(.seconds(600))).contains(policy.delay(afterAttempt: attempt)))
            }
        }
    }
}
