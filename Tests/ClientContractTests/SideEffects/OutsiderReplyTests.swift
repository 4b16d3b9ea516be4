import Foundation
import PorterEmulators
import PorterKit
import PorterTestSupport
import PostgresNIO
import Testing

/// Replies to commenters whose write access is not known: the deliverer asks GitHub, posts everything
/// for someone who may write, and at most the issue's one reply of the day for anyone else, however
/// many deliverers race for it.
@Suite struct OutsiderReplyTests {
    static func reply(
        to login: String, issue: Int = 1, mayWrite: Bool? = nil, outsiders: ReplyAudience.Outsiders = .oncePerDay,
        body: String = "An answer"
    ) -> SideEffect {
        .createComment(
            CommentRequest(
                repositoryFullName: "acme/widgets", issueNumber: issue, body: body,
                audience: ReplyAudience(login: login, repositoryID: 77, mayWrite: mayWrite, outsiders: outsiders)))
    }

    static func results(_ database: PostgresClient) async throws -> [String] {
        try await database.query("SELECT coalesce(result::text, '') FROM github_side_effects ORDER BY id").collect()
            .map { try $0.decode(String.self) }
    }

    static func porterComments(_ world: GitHubWorld, issue: Int = 1) -> [String] {
        world.emulator.comments(owner: "acme", repo: "widgets", issue: issue).filter { $0.contains("<!-- porter:") }
    }

    @Test func deliverersRacingOnOutsiderRepliesPostOneAnIssue() async throws {
        let world = try await GitHubWorld.make()
        world.emulator.setRole(owner: "acme", repo: "widgets", user: "mallory", role: "read")
        let second = world.emulator.addIssue(owner: "acme", repo: "widgets", title: "Another", author: "octocat")
        try await TestDatabase.withClient { database, _ in
            try await world.live { github, _ in
                for index in 0..<8 {
                    try await SideEffectDeliveryTests.enqueue(
                        database, Self.reply(to: "mallory", body: "Answer \(index)"),
                        installation: world.installationID, key: "delivery:\(index):reply")
                }
                try await SideEffectDeliveryTests.enqueue(
                    database, Self.reply(to: "mallory", issue: second), installation: world.installationID,
                    key: "delivery:other:reply")
                // Four deliverers, as on four dispatcher replicas, each taking two effects at a time.
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for replica in 1...4 {
                        let deliverer = SideEffectDeliveryTests.deliverer(database, github, owner: "d\(replica)")
                        group.addTask {
                            while try await deliverer.deliverReady(limit: 2) > 0 {}
                        }
                    }
                    try await group.waitForAll()
                }

                #expect(Self.porterComments(world).count == 1, "\(Self.porterComments(world))")
                #expect(Self.porterComments(world, issue: second).count == 1, "another issue has its own reply")
                #expect(try await SideEffectDeliveryTests.states(database).allSatisfy { $0 == "done" })
                let withheld = try await Self.results(database).filter { $0.contains("withheld") }
                #expect(withheld.count == 7)
                #expect(try await Self.count(database, "outsider_replies") == 2)
            }
        }
    }

    @Test func someoneWhoMayWriteGetsEveryReplyAndUsesNoOutsiderReply() async throws {
        let world = try await GitHubWorld.make()
        world.emulator.setRole(owner: "acme", repo: "widgets", user: "alice", role: "write")
        try await TestDatabase.withClient { database, _ in
            try await world.live { github, _ in
                for index in 0..<3 {
                    try await SideEffectDeliveryTests.enqueue(
                        database, Self.reply(to: "alice", outsiders: .none), installation: world.installationID,
                        key: "delivery:\(index):reply")
                }
                try await SideEffectDeliveryTests.drain(SideEffectDeliveryTests.deliverer(database, github), database)
                #expect(Self.porterComments(world).count == 3)
                #expect(try await Self.count(database, "outsider_replies") == 0)
            }
        }
    }

    @Test func aReplyForWritersOnlyIsWithheldFromAnOutsiderWithoutSpendingTheirDailyReply() async throws {
        let world = try await GitHubWorld.make()
        world.emulator.setRole(owner: "acme", repo: "widgets", user: "mallory", role: "triage")
        try await TestDatabase.withClient { database, _ in
            try await world.live { github, _ in
                let deliverer = SideEffectDeliveryTests.deliverer(database, github)
                try await SideEffectDeliveryTests.enqueue(
                    database, Self.reply(to: "mallory", outsiders: .none, body: "Help text"),
                    installation: world.installationID, key: "delivery:help:reply")
                try await SideEffectDeliveryTests.drain(deliverer, database)
                #expect(Self.porterComments(world).isEmpty)
                #expect(try await Self.results(database).first?.contains("withheld") == true)

                try await SideEffectDeliveryTests.enqueue(
                    database, Self.reply(to: "mallory", body: "Unknown flag"), installation: world.installationID,
                    key: "delivery:flag:reply")
                try await SideEffectDeliveryTests.drain(deliverer, database)
                #expect(Self.porterComments(world).count == 1)
                #expect(Self.porterComments(world).first?.hasPrefix("Unknown flag") == true)
            }
        }
    }

    @Test func theNextDayAnIssueMayAnswerAnOutsiderAgain() async throws {
        let world = try await GitHubWorld.make()
        world.emulator.setRole(owner: "acme", repo: "widgets", user: "mallory", role: "read")
        try await TestDatabase.withClient { database, _ in
            try await world.live { github, _ in
                let deliverer = SideEffectDeliveryTests.deliverer(database, github)
                for index in 0..<2 {
                    try await SideEffectDeliveryTests.enqueue(
                        database, Self.reply(to: "mallory", mayWrite: false), installation: world.installationID,
                        key: "task:\(index):refused")
                }
                try await SideEffectDeliveryTests.drain(deliverer, database)
                #expect(Self.porterComments(world).count == 1)

                try await database.query("UPDATE outsider_replies SET day = day - 1")
                try await SideEffectDeliveryTests.enqueue(
                    database, Self.reply(to: "mallory", mayWrite: false), installation: world.installationID,
                    key: "task:2:refused")
                try await SideEffectDeliveryTests.drain(deliverer, database)
                #expect(Self.porterComments(world).count == 2)
                #expect(try await Self.count(database, "outsider_replies") == 1, "yesterday's row is dropped")
            }
        }
    }

    @Test func aRetriedOutsiderReplyKeepsTheDayItTook() async throws {
        let world = try await GitHubWorld.make()
        world.emulator.setRole(owner: "acme", repo: "widgets", user: "mallory", role: "read")
        world.emulator.faults.add(
            .init(method: "POST", pathPrefix: "/repos/acme/widgets/issues/1/comments", status: 502, remaining: 4))
        try await TestDatabase.withClient { database, _ in
            try await world.live { github, _ in
                try await SideEffectDeliveryTests.enqueue(
                    database, Self.reply(to: "mallory"), installation: world.installationID, key: "delivery:1:reply")
                try await SideEffectDeliveryTests.drain(SideEffectDeliveryTests.deliverer(database, github), database)
                #expect(Self.porterComments(world).count == 1)
                let attempts = try await database.query("SELECT attempts FROM github_side_effects").collect()
                    .first?.decode(Int.self)
                #expect(attempts ?? 0 > 1, "the first delivery failed after taking the day")
            }
        }
    }

    @Test func anOutsiderWhosePermissionGitHubCannotGiveGetsNoReplyUntilItCan() async throws {
        let world = try await GitHubWorld.make()
        world.emulator.setRole(owner: "acme", repo: "widgets", user: "mallory", role: "read")
        world.emulator.faults.add(
            .init(method: "GET", pathPrefix: "/repos/acme/widgets/collaborators/mallory", status: 502))
        try await TestDatabase.withClient { database, _ in
            try await world.live { github, _ in
                let deliverer = SideEffectDeliveryTests.deliverer(database, github)
                try await SideEffectDeliveryTests.enqueue(
                    database, Self.reply(to: "mallory"), installation: world.installationID, key: "delivery:1:reply")
                try await deliverer.deliverReady()
                #expect(Self.porterComments(world).isEmpty)
                let pending = try await database.query(
                    "SELECT state, last_error FROM github_side_effects"
                ).collect().first?.decode((String, String?).self)
                #expect(pending?.0 == "pending")
                #expect(pending?.1?.contains("502") == true)
                #expect(try await Self.count(database, "outsider_replies") == 0)

                // GitHub refuses for good: an unconfirmed commenter is an outsider, within the daily reply.
                world.emulator.faults.reset()
                world.emulator.faults.add(
                    .init(method: "GET", pathPrefix: "/repos/acme/widgets/collaborators/mallory", status: 404))
                try await SideEffectDeliveryTests.enqueue(
                    database, Self.reply(to: "mallory", outsiders: .none), installation: world.installationID,
                    key: "delivery:2:reply")
                try await SideEffectDeliveryTests.drain(deliverer, database)
                #expect(Self.porterComments(world).count == 1)
                #expect(try await Self.results(database).filter { $0.contains("withheld") }.count == 1)
            }
        }
    }

    static func count(_ database: PostgresClient, _ table: String) async throws -> Int {
        try await database.query(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table)")).collect().first!
            .decode(Int.self)
    }
}
