import Foundation
import PorterEmulators
import PorterKit
import PorterTestSupport
import PostgresNIO
import Testing

/// Side effects GitHub carried out but answered in a shape Porter cannot read: each is found where
/// GitHub put it (a pull request by its branch, a comment by its marker) and recorded, never made a
/// second time and never given up; answers whose unread fields changed are delivered as usual.
@Suite struct UnreadableAnswerDeliveryTests {
    typealias Delivery = SideEffectDeliveryTests
    typealias Outage = SideEffectOutageTests
    typealias Reshape = FaultInjector.Reshape

    static let pulls = "/repos/acme/widgets/pulls"

    @Test func aPullRequestWhoseAnswerCannotBeReadIsFoundByItsBranchAndRecordedOnItsTask() async throws {
        try await CallbackWorld.run { world in
            let (id, branch) = try await Outage.succeeded(world)
            let faults = world.emulator.faults
            let injected = faults.injectedCount
            faults.add(Reshape(method: "POST", pathPrefix: Self.pulls, set: ["number": #""seven""#], remaining: 1))
            // Taken only by a second create, which must never come.
            faults.add(Reshape(method: "POST", pathPrefix: Self.pulls, set: ["second": "true"], remaining: 1))
            try await world.deliver()

            #expect(faults.injectedCount - injected == 1)
            try await Outage.expectOnePullRequest(world, task: id, branch: branch)
            let row = try await Outage.row(world.database, kind: "open_pull_request")
            #expect(row.state == "done")
            #expect(row.attempts == 1)
        }
    }

    /// The list of the branch's pull requests cannot be read either: the effect waits (a pull request
    /// is never given up), and once GitHub answers readably again the one pull request is recorded.
    @Test func aPullRequestThatCannotBeFoundYetWaitsAndIsRecordedOnceReadable() async throws {
        try await CallbackWorld.run { world in
            let (id, branch) = try await Outage.succeeded(world)
            let faults = world.emulator.faults
            faults.add(Reshape(method: "POST", pathPrefix: Self.pulls, set: ["number": "null"]))
            faults.add(Reshape(method: "GET", pathPrefix: Self.pulls, set: ["number": "null"]))
            let metrics = ServiceMetrics(service: "dispatcher")
            let deliverer = Delivery.deliverer(world.database, world.dispatch.client, metrics: metrics)
            try await deliverer.deliverReady()
            #expect(world.emulator.pullRequests(owner: "acme", repo: "widgets").count == 1)
            let waiting = try await Outage.row(world.database, kind: "open_pull_request")
            #expect(waiting.state == "pending")
            #expect(waiting.lastError?.contains("could not be read") == true)
            // A second try, still unreadable, still waits.
            try await world.database.query("UPDATE github_side_effects SET run_after = now()")
            try await deliverer.deliverReady()
            #expect(try await Outage.row(world.database, kind: "open_pull_request").state == "pending")
            #expect(!metrics.render().contains("side_effects_abandoned_total{"))

            try await Outage.recover(world.emulator, world.database)
            try await world.deliver()
            try await Outage.expectOnePullRequest(world, task: id, branch: branch)
            #expect(try await Outage.row(world.database, kind: "open_pull_request").state == "done")
        }
    }

    @Test func aPullRequestAnswerWhoseUnreadFieldsChangedIsDeliveredAtOnce() async throws {
        try await CallbackWorld.run { world in
            let (id, branch) = try await Outage.succeeded(world)
            world.emulator.faults.add(
                Reshape(
                    method: "POST", pathPrefix: Self.pulls,
                    remove: ["id", "base.sha", "base.label", "user", "merge_commit_sha", "_links"],
                    set: ["head.repo.full_name": "42", "commits": #""several""#, "new_field": #"{"a":[1]}"#]))
            try await world.deliver()

            try await Outage.expectOnePullRequest(world, task: id, branch: branch)
            let row = try await Outage.row(world.database, kind: "open_pull_request")
            #expect(row.state == "done")
            #expect(row.attempts == 1)
        }
    }

    /// A reply GitHub posted but answered unreadably is tried again, finds its marker in the App's
    /// comment and is done: posted once.
    @Test(arguments: [false, true])
    func aCommentWhoseAnswerCannotBeReadIsFoundByItsMarkerNotPostedAgain(status: Bool) async throws {
        let world = try await GitHubWorld.make()
        world.emulator.faults.add(
            Reshape(
                method: "POST", pathPrefix: "/repos/acme/widgets/issues/1/comments", set: ["id": #""c-1""#],
                remaining: 1))
        try await TestDatabase.withClient { database, _ in
            try await world.live { github, _ in
                if status {
                    try await Delivery.enqueueLatest(
                        database, Delivery.status("Porter: queued"), installation: world.installationID)
                } else {
                    try await Delivery.enqueue(database, installation: world.installationID, key: "unreadable")
                }
                try await Delivery.drain(Delivery.deliverer(database, github), database)
                #expect(world.emulator.faults.injectedCount == 1)
                let comments = world.emulator.comments(owner: "acme", repo: "widgets", issue: 1)
                #expect(comments.count == 1)
                #expect(try await Delivery.states(database) == ["done"])
                let (attempts, result) = try await database.query(
                    "SELECT attempts, result::text FROM github_side_effects"
                ).collect().first!.decode((Int, String?).self)
                #expect(attempts == 2)
                #expect(result?.contains(#""comment_id""#) == true)
            }
        }
    }

    @Test func reactionAndLabelAnswersWithoutTheirIdsAreDelivered() async throws {
        let world = try await GitHubWorld.make()
        let commentID = try await world.emulator.comment(
            owner: "acme", repo: "widgets", issue: 1, author: "octocat", body: "@porter claude fix it")
        world.emulator.faults.add(
            Reshape(method: "POST", pathPrefix: "/repos/acme/widgets/issues/comments", remove: ["id", "content"]))
        world.emulator.faults.add(
            Reshape(method: "POST", pathPrefix: "/repos/acme/widgets/issues/1/labels", remove: ["id", "default"]))
        try await TestDatabase.withClient { database, _ in
            try await world.live { github, _ in
                try await Delivery.enqueue(
                    database,
                    .addReaction(
                        ReactionRequest(
                            repositoryFullName: "acme/widgets", commentID: Int64(commentID), content: "eyes")),
                    installation: world.installationID, key: "task:1:eyes")
                try await Delivery.enqueue(
                    database,
                    .setLabels(
                        LabelChange(
                            repositoryFullName: "acme/widgets", issueNumber: 1, add: ["porter:running"], remove: [])),
                    installation: world.installationID, key: "task:1:labels:running")
                try await Delivery.drain(Delivery.deliverer(database, github), database)
                #expect(world.emulator.faults.injectedCount == 2)
                #expect(try await Delivery.states(database) == ["done", "done"])
                #expect(world.emulator.reactions(commentID: commentID) == ["eyes"])
                #expect(world.emulator.labels(owner: "acme", repo: "widgets", issue: 1) == ["porter:running"])
            }
        }
    }
}
