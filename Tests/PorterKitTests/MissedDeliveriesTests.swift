import Foundation
import PorterKit
import Testing

/// Which logged deliveries the reconciler asks GitHub for again, decided from GitHub's log and what
/// Porter recorded.
@Suite struct MissedDeliveriesTests {
    /// A log entry as GitHub lists it.
    static func entry(_ id: Int, _ guid: String, status: Int, redelivery: Bool = false) throws -> GitHubHookDelivery {
        let json = """
            {"id": \(id), "guid": "\(guid)", "delivered_at": "2026-11-29T10:00:00Z", "redelivery": \(redelivery),
             "duration": 0.1, "status": "", "status_code": \(status), "event": "issue_comment", "action": "created",
             "installation_id": 7, "repository_id": 9, "throttled_at": null}
            """
        return try JSONDecoder.api.decode(GitHubHookDelivery.self, from: Data(json.utf8))
    }

    static func find(
        _ log: [GitHubHookDelivery], _ standings: [String: DeliveryStanding] = [:], maxAttempts: Int = 3
    ) -> [String] {
        MissedDeliveries.find(in: log, standings: standings, maxAttempts: maxAttempts).map(\.guid)
    }

    @Test func anUnrecordedDeliveryIsMissedWhateverGitHubSaysAndARecordedOneNever() throws {
        let log = [try Self.entry(3, "ok", status: 200), try Self.entry(2, "lost", status: 0)]
        #expect(Self.find(log) == ["lost", "ok"], "oldest first; a 2xx the gateway never recorded counts too")
        #expect(Self.find(log, ["ok": .init(recorded: true, request: nil)]) == ["lost"])
        let failedButRecorded = [try Self.entry(4, "late", status: 0)]
        #expect(Self.find(failedButRecorded, ["late": .init(recorded: true, request: nil)]).isEmpty)
    }

    @Test func aDeliveryAskedForWaitsForItsRedeliveryAndIsAskedAgainOnlyWhenThatFailed() throws {
        let original = try Self.entry(10, "g", status: 0)
        let asked = DeliveryStanding(recorded: false, request: RedeliveryRequest(githubDeliveryID: 10, attempts: 1))
        #expect(Self.find([original], ["g": asked]).isEmpty, "GitHub has not made the redelivery yet")

        let failed = try Self.entry(11, "g", status: 503, redelivery: true)
        let again = MissedDeliveries.find(in: [failed, original], standings: ["g": asked], maxAttempts: 3)
        #expect(again.map(\.attempt) == [2])
        #expect(again.map(\.githubDeliveryID) == [11])

        let succeeded = try Self.entry(11, "g", status: 202, redelivery: true)
        #expect(Self.find([succeeded, original], ["g": asked]).isEmpty)
    }

    @Test func theCapAndARefusalEndTheAsking() throws {
        let log = [try Self.entry(12, "g", status: 0, redelivery: true), try Self.entry(10, "g", status: 0)]
        let capped = RedeliveryRequest(githubDeliveryID: 11, attempts: 3)
        #expect(Self.find(log, ["g": .init(recorded: false, request: capped)]).isEmpty)
        #expect(Self.find(log, ["g": .init(recorded: false, request: capped)], maxAttempts: 4) == ["g"])
        let refused = RedeliveryRequest(githubDeliveryID: 10, attempts: 1, refused: "github answered 422")
        #expect(Self.find(log, ["g": .init(recorded: false, request: refused)]).isEmpty)
    }
}

@Suite struct DeliveryReconcilerSettingsTests {
    @Test func defaultsAreSixHoursEveryFiveMinutesAHundredARound() throws {
        var env = EnvironmentReader([:])
        let settings = DeliveryReconcilerSettings.read(from: &env)
        try env.validate()
        #expect(settings.window == .seconds(6 * 3600))
        #expect(settings.interval == .seconds(300))
        #expect(settings.maxPerRound == 100)
        let reconciler = DeliveryReconciler(
            github: GitHubClient(app: nil, logger: .init(label: "test")), store: NoStore(), settings: settings,
            logger: .init(label: "test"))
        #expect(reconciler.name == "reconcile_deliveries" && reconciler.interval == .seconds(300))
    }

    @Test func theVariablesAreReadAndAWindowGitHubCannotServeIsRefused() throws {
        var env = EnvironmentReader([
            "PORTER_RECONCILE_WINDOW": "2h", "PORTER_RECONCILE_INTERVAL": "90s", "PORTER_RECONCILE_MAX_PER_ROUND": "7",
        ])
        let settings = DeliveryReconcilerSettings.read(from: &env)
        try env.validate()
        #expect(settings.window == .seconds(7200) && settings.interval == .seconds(90) && settings.maxPerRound == 7)

        var bad = EnvironmentReader([
            "PORTER_RECONCILE_WINDOW": "100h", "PORTER_RECONCILE_INTERVAL": "often",
            "PORTER_RECONCILE_MAX_PER_ROUND": "0",
        ])
        _ = DeliveryReconcilerSettings.read(from: &bad)
        let error = try #require(throws: ConfigurationError.self) { try bad.validate() }
        #expect(
            error.variables == [
                "PORTER_RECONCILE_WINDOW", "PORTER_RECONCILE_INTERVAL", "PORTER_RECONCILE_MAX_PER_ROUND",
            ])
    }

    struct NoStore: RedeliveryStore {
        func standing(of guids: [String]) async throws -> [String: DeliveryStanding] { [:] }
        func noteRequest(guid: String, githubDeliveryID: Int, refused: String?) async throws {}
        func prune(before cutoff: Date) async throws {}
    }
}
