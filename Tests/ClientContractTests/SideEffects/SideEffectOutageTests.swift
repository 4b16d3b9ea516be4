import Foundation
import PorterEmulators
import PorterKit
import PorterTestSupport
import PostgresNIO
import Testing

/// Side effects through long GitHub outages: retried until their patience runs out (a pull request
/// for ever), given up at once only when GitHub refuses for good, and counted when given up. Hours
/// of outage are simulated by moving an effect's `created_at` back, not by waiting.
@Suite struct SideEffectOutageTests {
    typealias Delivery = SideEffectDeliveryTests

    /// What the outage has done to the one queued effect so far.
    struct Row {
        var state: String
        var attempts: Int
        /// Seconds until the next try.
        var wait: Double
        var lastError: String?
    }

    /// The effect of `kind` (any kind, when only one is queued).
    static func row(_ database: PostgresClient, kind: String = "%") async throws -> Row {
        let (state, attempts, wait, lastError) = try await database.query(
            """
            SELECT state, attempts, EXTRACT(EPOCH FROM run_after - now())::float8, last_error
            FROM github_side_effects WHERE kind LIKE \(kind)
            """
        ).collect().first!.decode((String, Int, Double, String?).self)
        return Row(state: state, attempts: attempts, wait: wait, lastError: lastError)
    }

    /// Makes the effect of `kind` look `hours` and `attempts` tries into an outage, and due now.
    static func backdate(_ database: PostgresClient, kind: String = "%", hours: Int, attempts: Int) async throws {
        try await database.query(
            """
            UPDATE github_side_effects SET created_at = now() - make_interval(hours => \(Int32(hours))),
                attempts = \(attempts), run_after = now(), last_error = 'injected fault'
            WHERE kind LIKE \(kind)
            """)
    }

    /// GitHub answers every request with 503, installation tokens included.
    static func outage(_ emulator: GitHubEmulator) {
        emulator.faults.add(.init(status: 503, body: #"{"message":"Service unavailable"}"#))
    }

    /// GitHub is back, and every effect waiting for it is due.
    static func recover(_ emulator: GitHubEmulator, _ database: PostgresClient) async throws {
        emulator.faults.reset()
        try await database.query("UPDATE github_side_effects SET run_after = now() WHERE state = 'pending'")
    }

    /// The abandoned-effects counter's line in a scrape, at one.
    static func abandoned(kind: String, reason: String) -> String {
        #"porter_dispatcher_side_effects_abandoned_total{kind="\#(kind)",reason="\#(reason)"} 1"#
    }

    @Test func aReplySurvivesASixHourOutageAndIsPostedOnceAfterIt() async throws {
        let world = try await GitHubWorld.make()
        try await Delivery.withFastGitHub(world) { database, github in
            try await Delivery.enqueue(database, installation: world.installationID, key: "outage")
            Self.outage(world.emulator)
            try await Self.backdate(database, hours: 6, attempts: 40)
            let metrics = ServiceMetrics(service: "dispatcher")
            // The production policy: a day's patience, at most 10 minutes between tries.
            let deliverer = Delivery.deliverer(database, github, retry: SideEffectRetry(), metrics: metrics)
            #expect(try await deliverer.deliverReady() == 1)

            let during = try await Self.row(database)
            #expect(during.state == "pending")
            #expect(during.attempts == 41)
            #expect(during.wait > 0 && during.wait <= 600, "the backoff is capped at 10 minutes: \(during.wait) s")
            #expect(during.lastError?.contains("503") == true)
            #expect(!metrics.render().contains("side_effects_abandoned_total{"))
            #expect(world.emulator.comments(owner: "acme", repo: "widgets", issue: 1).isEmpty)

            try await Self.recover(world.emulator, database)
            try await Delivery.drain(deliverer, database)
            let comments = world.emulator.comments(owner: "acme", repo: "widgets", issue: 1)
            #expect(comments.count == 1)
            #expect(comments.first?.hasPrefix("Reply for outage") == true)
            #expect(try await Delivery.states(database) == ["done"])
        }
    }

    @Test func aReplyStillFailingPastItsPatienceIsAbandonedWithThatReasonAndCounted() async throws {
        let world = try await GitHubWorld.make()
        try await Delivery.withFastGitHub(world) { database, github in
            try await Delivery.enqueue(database, installation: world.installationID, key: "too-late")
            Self.outage(world.emulator)
            try await Self.backdate(database, hours: 3, attempts: 30)
            let metrics = ServiceMetrics(service: "dispatcher")
            let retry = SideEffectRetry(patience: .seconds(2 * 3600))
            try await Delivery.deliverer(database, github, retry: retry, metrics: metrics).deliverReady()

            let row = try await Self.row(database)
            #expect(row.state == "abandoned")
            #expect(row.lastError?.hasPrefix("still failing past its patience of 2h; last error: ") == true)
            #expect(row.lastError?.contains("503") == true)
            #expect(metrics.render().contains(Self.abandoned(kind: "create_comment", reason: "patience")))
        }
    }

    static let refusals: [(status: Int, body: String)] = [
        (403, #"{"message":"Resource not accessible by integration"}"#),
        (422, #"{"message":"Validation Failed"}"#),
    ]

    @Test(arguments: SideEffectOutageTests.refusals)
    func aReplyGitHubRefusesForGoodIsAbandonedAtOnceAndCounted(status: Int, body: String) async throws {
        let world = try await GitHubWorld.make()
        world.emulator.faults.add(
            .init(method: "POST", pathPrefix: "/repos/acme/widgets/issues/1/comments", status: status, body: body))
        try await Delivery.withFastGitHub(world) { database, github in
            try await Delivery.enqueue(database, installation: world.installationID, key: "refused")
            let metrics = ServiceMetrics(service: "dispatcher")
            try await Delivery.deliverer(database, github, metrics: metrics).deliverReady()

            let row = try await Self.row(database)
            #expect(row.state == "abandoned")
            #expect(row.attempts == 1)
            #expect(row.lastError?.contains("answered \(status)") == true)
            #expect(metrics.render().contains(Self.abandoned(kind: "create_comment", reason: "refused")))
        }
    }

    @Test func aSecondaryRateLimitIsWaitedOutNotTakenForARefusal() async throws {
        let world = try await GitHubWorld.make()
        try await Delivery.withFastGitHub(world) { database, github in
            var github = github
            github.maxRateLimitWait = .milliseconds(10)
            // More secondary-limit 403s than the client waits out within one delivery.
            let limited = github.rateLimitRetries + 2
            world.emulator.faults.add(
                .init(
                    method: "POST", pathPrefix: "/repos/acme/widgets/issues/1/comments", status: 403,
                    body: #"{"message":"You have exceeded a secondary rate limit."}"#, remaining: limited))
            try await Delivery.enqueue(database, installation: world.installationID, key: "limited")
            let metrics = ServiceMetrics(service: "dispatcher")
            try await Delivery.drain(Delivery.deliverer(database, github, metrics: metrics), database)

            #expect(world.emulator.faults.injectedCount == limited)
            #expect(world.emulator.comments(owner: "acme", repo: "widgets", issue: 1).count == 1)
            let row = try await Self.row(database)
            #expect(row.state == "done")
            #expect(row.attempts == 2)
            #expect(!metrics.render().contains("side_effects_abandoned_total{"))
        }
    }

    /// A running task whose worker pushed its branch and reported success; the task and its branch.
    static func succeeded(_ world: CallbackWorld) async throws -> (UUID, String) {
        let (id, token) = try await CallbackReceiverTests.running(world)
        let (branch, sha) = try await CallbackReceiverTests.pushWork(world, id, token: token)
        try await world.deliver()
        let report = try CallbackReceiverTests.completion(
            id, ["attempt": 1, "status": "succeeded", "branch": branch, "head_sha": sha, "summary": "Fixed."])
        #expect(try await world.call(.POST, "/callbacks/complete", token: token, json: report).status == 200)
        return (id, branch)
    }

    /// The one pull request on acme/widgets: from `branch`, recorded on the task and in its final comment.
    static func expectOnePullRequest(_ world: CallbackWorld, task id: UUID, branch: String) async throws {
        let pulls = world.emulator.pullRequests(owner: "acme", repo: "widgets")
        #expect(pulls.count == 1)
        let pull = try #require(pulls.first)
        #expect(pull.head == branch)
        let recorded = try await world.database.query("SELECT pull_request_number FROM tasks WHERE id = \(id)")
            .collect().first?.decode(Int?.self)
        #expect(recorded == pull.number)
        #expect(world.dispatch.comments.contains { $0.contains("Draft pull request: #\(pull.number)") })
    }

    @Test func aPullRequestGitHubOpenedWhoseAnswerWasLostIsFoundAndRecordedOnItsTask() async throws {
        try await CallbackWorld.run { world in
            let (id, branch) = try await Self.succeeded(world)
            let faults = world.emulator.faults
            let injected = faults.injectedCount
            // GitHub opens the pull request but its answer is lost, and the look-up the client makes at
            // once fails as well (each of the test client's four tries): the delivery fails, and the next
            // one must find the branch's pull request instead of opening another.
            faults.add(
                .init(
                    method: "POST", pathPrefix: "/repos/acme/widgets/pulls", status: 502, remaining: 1,
                    afterHandling: true))
            faults.add(.init(method: "GET", pathPrefix: "/repos/acme/widgets/pulls", status: 503, remaining: 4))
            try await world.deliver()

            #expect(faults.injectedCount - injected == 5)
            try await Self.expectOnePullRequest(world, task: id, branch: branch)
            let row = try await Self.row(world.database, kind: "open_pull_request")
            #expect(row.state == "done")
            #expect(row.attempts == 2)
        }
    }

    /// Someone merged the pull request while Porter, its answer lost, had not recorded it: found on
    /// the next try, it is recorded as merged, not as open (no later event would correct it).
    @Test func aPullRequestMergedBeforeItsLostAnswerWasFoundIsRecordedMerged() async throws {
        try await CallbackWorld.run { world in
            let (id, branch) = try await Self.succeeded(world)
            let faults = world.emulator.faults
            faults.add(
                .init(
                    method: "POST", pathPrefix: "/repos/acme/widgets/pulls", status: 502, remaining: 1,
                    afterHandling: true))
            faults.add(.init(method: "GET", pathPrefix: "/repos/acme/widgets/pulls", status: 503, remaining: 4))
            let deliverer = SideEffectDeliveryTests.deliverer(world.database, world.dispatch.client)
            // One try: GitHub opens it, the answer and the look-ups are lost, and the effect waits.
            try await deliverer.deliverReady()
            let pull = try #require(world.emulator.pullRequests(owner: "acme", repo: "widgets").first)
            let waiting = try await Self.row(world.database, kind: "open_pull_request")
            #expect(waiting.state == "pending")
            #expect(waiting.attempts == 1)
            // Someone merges it; Porter opened it as a draft, which the merge API refuses to the App.
            try await world.emulator.mergePullRequest(owner: "acme", repo: "widgets", number: pull.number)

            try await world.deliver()
            try await Self.expectOnePullRequest(world, task: id, branch: branch)
            let recorded = try await world.database.query(
                """
                SELECT pull_request_state, pull_request_merged_at IS NOT NULL, pull_request_closed_at IS NOT NULL
                FROM tasks WHERE id = \(id)
                """
            ).collect().first?.decode((String?, Bool, Bool).self)
            #expect(recorded?.0 == "merged")
            #expect(recorded?.1 == true)
            #expect(recorded?.2 == true)
        }
    }

    @Test func aPullRequestIsNeverGivenUpForAnOutageHoweverLong() async throws {
        try await CallbackWorld.run { world in
            let (id, branch) = try await Self.succeeded(world)
            Self.outage(world.emulator)
            try await Self.backdate(world.database, kind: "open_pull_request", hours: 30 * 24, attempts: 500)
            let metrics = ServiceMetrics(service: "dispatcher")
            let deliverer = Delivery.deliverer(
                world.database, world.dispatch.client, retry: SideEffectRetry(), metrics: metrics)
            try await deliverer.deliverReady()

            let row = try await Self.row(world.database, kind: "open_pull_request")
            #expect(row.state == "pending")
            #expect(row.attempts == 501)
            #expect(row.wait > 0 && row.wait <= 600)
            #expect(!metrics.render().contains("side_effects_abandoned_total{"))

            try await Self.recover(world.emulator, world.database)
            try await world.deliver()
            try await Self.expectOnePullRequest(world, task: id, branch: branch)
        }
    }
}
