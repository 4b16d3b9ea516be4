import Foundation
import PorterEmulators
import PorterKit
import PorterTestSupport
import PostgresNIO
import Testing

/// Queued GitHub side effects reach the GitHub emulator exactly once, through failures.
@Suite struct SideEffectDeliveryTests {
    static func enqueue(
        _ database: PostgresClient, installation: Int, key: String, repository: String = "acme/widgets"
    )
        async throws
    {
        try await enqueue(
            database,
            .createComment(CommentRequest(repositoryFullName: repository, issueNumber: 1, body: "Reply for \(key)")),
            installation: installation, key: key)
    }

    static func enqueue(_ database: PostgresClient, _ effect: SideEffect, installation: Int, key: String) async throws {
        try await database.withTransaction(logger: TestDatabase.logger) { connection in
            try await PostgresSideEffectQueue.enqueue(
                effect, installationID: Int64(installation), dedupeKey: key, on: connection, logger: TestDatabase.logger
            )
        }
    }

    /// Retries a few milliseconds apart, so a test drains in moments; the patience is the production one.
    static let quickRetry = SideEffectRetry(baseDelay: .milliseconds(10), maxDelay: .milliseconds(20))

    static func deliverer(
        _ database: PostgresClient, _ github: GitHubClient, owner: String = "d1", lease: Duration = .seconds(300),
        retry: SideEffectRetry = quickRetry, metrics: ServiceMetrics? = nil
    ) -> SideEffectDeliverer {
        SideEffectDeliverer(
            queue: PostgresSideEffectQueue(client: database, logger: TestDatabase.logger), github: github,
            wakeups: JobWakeups(client: database, channel: SideEffectDeliverer.channel, logger: TestDatabase.logger),
            owner: owner, retry: retry, lease: lease, metrics: metrics, logger: TestDatabase.logger)
    }

    static func states(_ database: PostgresClient) async throws -> [String] {
        try await database.query("SELECT state FROM github_side_effects ORDER BY id").collect().map {
            try $0.decode(String.self)
        }
    }

    /// Delivers until nothing is pending (retries wait a few milliseconds).
    static func drain(_ deliverer: SideEffectDeliverer, _ database: PostgresClient) async throws {
        for _ in 0..<50 {
            try await deliverer.deliverReady()
            if try await states(database).allSatisfy({ $0 != "pending" }) { return }
            try await Task.sleep(for: .milliseconds(30))
        }
    }

    @Test func aQueuedReplyIsPostedOnceWithItsMarker() async throws {
        let world = try await GitHubWorld.make()
        try await TestDatabase.withClient { database, _ in
            try await world.live { github, _ in
                try await Self.enqueue(database, installation: world.installationID, key: "delivery:1:reply")
                try await Self.drain(Self.deliverer(database, github), database)
                let comments = world.emulator.comments(owner: "acme", repo: "widgets", issue: 1)
                #expect(comments.count == 1)
                #expect(comments.first?.hasPrefix("Reply for delivery:1:reply") == true)
                #expect(comments.first?.contains("<!-- porter:delivery:1:reply -->") == true)
                #expect(try await Self.states(database) == ["done"])
            }
        }
    }

    @Test func aGitHubOutageDelaysARepliesButNeverLosesIt() async throws {
        let world = try await GitHubWorld.make()
        world.emulator.faults.add(
            .init(method: "POST", pathPrefix: "/repos/acme/widgets/issues/1/comments", status: 503, remaining: 2))
        try await TestDatabase.withClient { database, _ in
            try await world.live { github, _ in
                try await Self.enqueue(database, installation: world.installationID, key: "k")
                try await Self.drain(Self.deliverer(database, github), database)
                #expect(world.emulator.comments(owner: "acme", repo: "widgets", issue: 1).count == 1)
                #expect(try await Self.states(database) == ["done"])
                let attempts = try await database.query("SELECT attempts FROM github_side_effects").collect().first?
                    .decode(Int.self)
                #expect(attempts == 3)
            }
        }
    }

    @Test func aCommentWhoseAnswerWasLostIsFoundNotPostedAgain() async throws {
        let world = try await GitHubWorld.make()
        world.emulator.faults.add(
            .init(
                method: "POST", pathPrefix: "/repos/acme/widgets/issues/1/comments", status: 502, remaining: 1,
                afterHandling: true))
        try await TestDatabase.withClient { database, _ in
            try await world.live { github, _ in
                try await Self.enqueue(database, installation: world.installationID, key: "lost")
                try await Self.drain(Self.deliverer(database, github), database)
                #expect(world.emulator.faults.injectedCount == 1)
                #expect(world.emulator.comments(owner: "acme", repo: "widgets", issue: 1).count == 1)
                let result = try await database.query("SELECT result::text FROM github_side_effects").collect().first?
                    .decode(String.self)
                #expect(result?.contains(#""found": true"#) == true)
            }
        }
    }

    /// Anyone can type a marker: a person's comment carrying a reply's marker (even one made through
    /// the App with their own token) is not taken for the App's, so the reply is still posted.
    @Test func aForgedMarkerInSomeoneElsesCommentIsNotTakenForTheReply() async throws {
        let world = try await GitHubWorld.make()
        world.emulator.faults.add(
            .init(method: "POST", pathPrefix: "/repos/acme/widgets/issues/1/comments", status: 502, remaining: 1))
        try await TestDatabase.withClient { database, _ in
            try await world.live { github, _ in
                try await Self.enqueue(database, installation: world.installationID, key: "forged")
                // The first try fails and nothing is posted; someone posts the reply's marker meanwhile.
                _ = try await Self.deliverer(database, github).deliverReady()
                #expect(world.emulator.comments(owner: "acme", repo: "widgets", issue: 1).isEmpty)
                try await world.emulator.comment(
                    owner: "acme", repo: "widgets", issue: 1, author: "mallory",
                    body: "Not Porter\n\n<!-- porter:forged -->")
                try await Self.drain(Self.deliverer(database, github), database)
                let comments = world.emulator.comments(owner: "acme", repo: "widgets", issue: 1)
                #expect(comments.count == 2, "\(comments)")
                #expect(comments.last?.hasPrefix("Reply for forged") == true)
                let result = try await database.query("SELECT result::text FROM github_side_effects").collect().first?
                    .decode(String.self)
                #expect(result?.contains("found") == false, "\(result ?? "")")
            }
        }
    }

    @Test func aReplyGitHubRefusesForGoodIsAbandonedWithItsReason() async throws {
        let world = try await GitHubWorld.make()
        try await TestDatabase.withClient { database, _ in
            try await world.live { github, _ in
                try await Self.enqueue(
                    database, installation: world.installationID, key: "gone", repository: "acme/nothing")
                try await Self.drain(Self.deliverer(database, github), database)
                #expect(try await Self.states(database) == ["abandoned"])
                let error = try await database.query("SELECT last_error FROM github_side_effects").collect().first?
                    .decode(String.self)
                #expect(error?.contains("404") == true)
            }
        }
    }

    @Test func twoDeliverersNeverPostTheSameReplyTwice() async throws {
        let world = try await GitHubWorld.make()
        try await TestDatabase.withClient { database, _ in
            try await world.live { github, _ in
                for index in 0..<12 {
                    try await Self.enqueue(database, installation: world.installationID, key: "k\(index)")
                }
                async let first: Void = Self.drain(Self.deliverer(database, github, owner: "a"), database)
                async let second: Void = Self.drain(Self.deliverer(database, github, owner: "b"), database)
                _ = try await (first, second)
                let comments = world.emulator.comments(owner: "acme", repo: "widgets", issue: 1)
                #expect(comments.count == 12)
                #expect(Set(comments).count == 12)
            }
        }
    }

    @Test func reactionsCommentEditsAndLabelsAreDelivered() async throws {
        let world = try await GitHubWorld.make()
        try await TestDatabase.withClient { database, _ in
            try await world.live { github, _ in
                let id = world.installationID
                let status = try await github.createIssueComment(
                    installationID: id, owner: "acme", repo: "widgets", issue: 1, body: "Porter: queued")
                try await github.addLabels(
                    installationID: id, owner: "acme", repo: "widgets", issue: 1, labels: ["porter:queued"])
                let repository = "acme/widgets"
                try await Self.enqueue(
                    database,
                    .addReaction(
                        ReactionRequest(repositoryFullName: repository, commentID: Int64(status.id), content: "eyes")),
                    installation: id, key: "task:1:eyes")
                try await Self.enqueue(
                    database,
                    .updateComment(
                        CommentEdit(
                            repositoryFullName: repository, commentID: Int64(status.id), body: "Porter: running")),
                    installation: id, key: "task:1:status:running")
                try await Self.enqueue(
                    database,
                    .setLabels(
                        LabelChange(
                            repositoryFullName: repository, issueNumber: 1, add: ["porter:running"],
                            remove: ["porter:queued", "porter:never-there"])),
                    installation: id, key: "task:1:labels:running")
                try await Self.drain(Self.deliverer(database, github), database)
                #expect(try await Self.states(database) == ["done", "done", "done"])
                #expect(world.emulator.reactions(commentID: status.id) == ["eyes"])
                #expect(world.emulator.comments(owner: "acme", repo: "widgets", issue: 1) == ["Porter: running"])
                #expect(world.emulator.labels(owner: "acme", repo: "widgets", issue: 1) == ["porter:running"])
            }
        }
    }

    @Test func aSideEffectIsRecordedOncePerDedupeKey() async throws {
        try await TestDatabase.withClient { database, _ in
            for _ in 0..<3 { try await Self.enqueue(database, installation: 1, key: "delivery:x:reply") }
            #expect(try await Self.states(database) == ["pending"])
        }
    }

    static func status(_ body: String) -> SideEffect {
        .statusComment(CommentRequest(repositoryFullName: "acme/widgets", issueNumber: 1, body: body))
    }

    static func enqueueLatest(_ database: PostgresClient, _ effect: SideEffect, installation: Int) async throws {
        try await database.withTransaction(logger: TestDatabase.logger) { connection in
            try await PostgresSideEffectQueue.enqueue(
                effect, installationID: Int64(installation), dedupeKey: "task:7:status", replacing: true,
                on: connection, logger: TestDatabase.logger)
        }
    }

    @Test func aStatusCommentIsPostedOnceAndThenEditedInPlace() async throws {
        let world = try await GitHubWorld.make()
        try await TestDatabase.withClient { database, _ in
            try await world.live { github, _ in
                let deliverer = Self.deliverer(database, github)
                try await Self.enqueueLatest(
                    database, Self.status("Porter: queued"), installation: world.installationID)
                try await Self.drain(deliverer, database)
                try await Self.enqueueLatest(
                    database, Self.status("Porter: running"), installation: world.installationID)
                try await Self.drain(deliverer, database)
                let comments = world.emulator.comments(owner: "acme", repo: "widgets", issue: 1)
                #expect(comments.count == 1)
                #expect(comments.first?.hasPrefix("Porter: running") == true)
                #expect(comments.first?.contains("<!-- porter:task:7:status -->") == true)
                #expect(try await Self.states(database) == ["done"])
            }
        }
    }

    @Test func aStatusReplacedWhileItWasBeingDeliveredIsDeliveredAgainWithTheNewBody() async throws {
        let world = try await GitHubWorld.make()
        try await TestDatabase.withClient { database, _ in
            try await world.live { github, _ in
                let queue = PostgresSideEffectQueue(client: database, logger: TestDatabase.logger)
                try await Self.enqueueLatest(
                    database, Self.status("Porter: queued"), installation: world.installationID)
                let claimed = try #require(try await queue.claim(owner: "d1", lease: .seconds(30), limit: 1).first)
                // The task moves on while the old body is on its way to GitHub.
                try await Self.enqueueLatest(
                    database, Self.status("Porter: starting"), installation: world.installationID)
                let deliverer = Self.deliverer(database, github)
                try await queue.complete(claimed, owner: "d1", result: try await deliverer.deliver(claimed))
                #expect(try await Self.states(database) == ["pending"])
                try await Self.drain(deliverer, database)
                let comments = world.emulator.comments(owner: "acme", repo: "widgets", issue: 1)
                #expect(comments.count == 1)
                #expect(comments.first?.hasPrefix("Porter: starting") == true)
                #expect(try await Self.states(database) == ["done"])
            }
        }
    }

    /// A database and a GitHub client against the live emulator, paced 5 ms apart instead of a second.
    static func withFastGitHub(
        _ world: GitHubWorld, _ body: @escaping @Sendable (PostgresClient, GitHubClient) async throws -> Void
    ) async throws {
        try await TestDatabase.withClient { database, _ in
            try await world.live { github, _ in
                var github = github
                github.mutationSpacing = .milliseconds(5)
                try await body(database, github)
            }
        }
    }

    /// Issue #1's comments that carry the test status comment's marker.
    static func statusComments(_ world: GitHubWorld) -> [String] {
        world.emulator.comments(owner: "acme", repo: "widgets", issue: 1).filter { $0.contains("task:7:status") }
    }

    @Test func aStatusCommentWhoseAnswerWasLostIsFoundPastTheFirstHundredComments() async throws {
        let world = try await GitHubWorld.make()
        for index in 0..<150 {
            try await world.emulator.comment(
                owner: "acme", repo: "widgets", issue: 1, author: "octocat", body: "chatter \(index)")
        }
        world.emulator.faults.add(
            .init(
                method: "POST", pathPrefix: "/repos/acme/widgets/issues/1/comments", status: 502, remaining: 1,
                afterHandling: true))
        try await Self.withFastGitHub(world) { database, github in
            try await Self.enqueueLatest(database, Self.status("running"), installation: world.installationID)
            try await Self.drain(Self.deliverer(database, github), database)
            try await Self.enqueueLatest(database, Self.status("finished"), installation: world.installationID)
            try await Self.drain(Self.deliverer(database, github), database)
            let statuses = Self.statusComments(world)
            #expect(world.emulator.faults.injectedCount == 1)
            #expect(statuses.count == 1, "the comment on page 2 was not found: \(statuses)")
            #expect(statuses.first?.hasPrefix("finished") == true)
        }
    }

    @Test func aStatusCommentSomeoneDeletedIsPostedAgainWithItsLatestForm() async throws {
        let world = try await GitHubWorld.make()
        try await Self.withFastGitHub(world) { database, github in
            try await Self.enqueueLatest(database, Self.status("running"), installation: world.installationID)
            try await Self.drain(Self.deliverer(database, github), database)
            #expect(
                world.emulator.deleteComments(owner: "acme", repo: "widgets", issue: 1, containing: "task:7:status")
                    == 1)
            try await Self.enqueueLatest(database, Self.status("finished"), installation: world.installationID)
            try await Self.drain(Self.deliverer(database, github), database)
            let statuses = Self.statusComments(world)
            #expect(statuses.count == 1)
            #expect(statuses.first?.hasPrefix("finished") == true)
            #expect(try await Self.states(database) == ["done"])
        }
    }

    @Test func aDeliverySlowerThanItsLeaseKeepsItAndIsNotDeliveredTwice() async throws {
        let world = try await GitHubWorld.make()
        try await Self.withFastGitHub(world) { database, github in
            try await Self.enqueue(database, installation: world.installationID, key: "slow")
            // Every GitHub answer takes longer than the whole lease. The lease is long enough for its
            // renewals (every second) to go through on a loaded machine.
            world.emulator.faults.latency = .milliseconds(3_500)
            let slow = Self.deliverer(database, github, owner: "d1", lease: .seconds(3))
            let eager = Self.deliverer(database, github, owner: "d2", lease: .seconds(3))
            async let delivered = slow.deliverReady()
            var stolen = 0
            for _ in 0..<55 {
                try await Task.sleep(for: .milliseconds(150))
                stolen += try await eager.deliverReady()
            }
            #expect(try await delivered == 1)
            #expect(stolen == 0, "another deliverer took the effect while it was being delivered")
            #expect(world.emulator.comments(owner: "acme", repo: "widgets", issue: 1).count == 1)
            #expect(try await Self.states(database) == ["done"])
        }
    }
}
