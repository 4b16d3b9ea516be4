import Foundation
import PorterKit
import PorterTestSupport
import Testing

/// Webhooks the GitHub emulator lost on the way to a live gateway come back through the watchdog's
/// delivery reconciler: each becomes exactly one task, and what the gateway recorded is left alone.
@Suite(.timeLimit(.minutes(3))) struct DeliveryReconcilerTests {
    @Test func aDroppedCommandIsRedeliveredOnceAndBecomesExactlyOneTask() async throws {
        try await ReconcileWorld.run { world in
            let delivered = try await world.comment("@porter claude fix the login page")
            world.github.dropNextDeliveries(1)
            let dropped = try await world.comment("@porter claude fix it")
            #expect(try await world.recorded(delivered))
            #expect(try await !world.recorded(dropped))
            #expect(try await world.tasks(from: dropped) == 0)

            #expect(try await world.reconciler().sweep(lead: AlwaysLeading()) == 1)
            #expect(world.redeliveries(of: dropped).map(\.statusCode) == [202])
            #expect(world.redeliveries(of: delivered).isEmpty, "a recorded delivery is never redelivered")
            #expect(try await world.tasks(from: dropped) == 1)
            let task = try #require(try await world.gateway.tasks().first { $0.deliveryID == dropped })
            #expect(task.request.instructions == "fix it")
            #expect(world.redeliveryCount("requested") == 1)

            // A later round, or a restarted watchdog, asks for nothing more.
            #expect(try await world.reconciler().sweep(lead: AlwaysLeading()) == 0)
            #expect(world.redeliveries(of: dropped).count == 1)
            #expect(try await world.tasks(from: dropped) == 1)
            #expect(try await world.gateway.count("tasks") == 2)
        }
    }

    @Test func aRedeliveryThatFailsTooIsAskedForAgain() async throws {
        try await ReconcileWorld.run { world in
            // The delivery and its first redelivery are both lost.
            world.github.dropNextDeliveries(2)
            let dropped = try await world.comment("@porter claude fix it")
            let reconciler = world.reconciler()
            #expect(try await reconciler.sweep(lead: AlwaysLeading()) == 1)
            #expect(try await !world.recorded(dropped))
            #expect(try await reconciler.sweep(lead: AlwaysLeading()) == 1)
            #expect(world.redeliveries(of: dropped).map(\.statusCode) == [0, 202])
            #expect(try await world.tasks(from: dropped) == 1)
            #expect(try await reconciler.sweep(lead: AlwaysLeading()) == 0)
        }
    }

    @Test func aDeliveryIsAskedForAtMostMaxAttemptsTimes() async throws {
        try await ReconcileWorld.run { world in
            world.github.dropNextDeliveries(100)
            let dropped = try await world.comment("@porter claude fix it")
            let reconciler = world.reconciler(DeliveryReconcilerSettings(maxAttempts: 3, spacing: .zero))
            var asked: [Int] = []
            for _ in 0..<5 { asked.append(try await reconciler.sweep(lead: AlwaysLeading())) }
            #expect(asked == [1, 1, 1, 0, 0])
            #expect(world.redeliveries(of: dropped).count == 3)
            #expect(try await world.tasks(from: dropped) == 0)
        }
    }

    @Test func aRoundAsksForAtMostItsCapOldestFirst() async throws {
        try await ReconcileWorld.run { world in
            world.github.dropNextDeliveries(3)
            var dropped: [String] = []
            for number in 1...3 { dropped.append(try await world.comment("@porter claude fix bug \(number)")) }
            let reconciler = world.reconciler(DeliveryReconcilerSettings(maxPerRound: 2, spacing: .zero))
            #expect(try await reconciler.sweep(lead: AlwaysLeading()) == 2)
            #expect(world.github.deliveries.filter(\.redelivery).map(\.guid) == Array(dropped.prefix(2)))
            #expect(try await reconciler.sweep(lead: AlwaysLeading()) == 1)
            #expect(world.github.deliveries.filter(\.redelivery).map(\.guid) == dropped)
            for guid in dropped { #expect(try await world.tasks(from: guid) == 1) }
        }
    }

    @Test func deliveriesOlderThanTheWindowAreLeftAlone() async throws {
        try await ReconcileWorld.run { world in
            world.github.dropNextDeliveries(1)
            let dropped = try await world.comment("@porter claude fix it")
            try await Task.sleep(for: .milliseconds(200))
            let narrow = world.reconciler(DeliveryReconcilerSettings(window: .milliseconds(100), spacing: .zero))
            #expect(try await narrow.sweep(lead: AlwaysLeading()) == 0)
            #expect(world.redeliveries(of: dropped).isEmpty)
            #expect(try await world.reconciler().sweep(lead: AlwaysLeading()) == 1)
        }
    }

    @Test func aWatchdogThatDoesNotLeadRedeliversNothing() async throws {
        try await ReconcileWorld.run { world in
            world.github.dropNextDeliveries(1)
            let dropped = try await world.comment("@porter claude fix it")
            #expect(try await world.reconciler().sweep(lead: LeadingWhile { false }) == 0)
            #expect(world.redeliveries(of: dropped).isEmpty)
            #expect(try await world.gateway.count("webhook_redeliveries") == 0)
        }
    }

    @Test func losingTheLeadMidRoundStopsBeforeTheNextRedelivery() async throws {
        try await ReconcileWorld.run { world in
            world.github.dropNextDeliveries(2)
            let first = try await world.comment("@porter claude fix bug 1")
            let second = try await world.comment("@porter claude fix bug 2")
            let github = world.github
            // The lease is lost the moment the first redelivery goes out.
            let lead = LeadingWhile { !github.deliveries.contains(where: \.redelivery) }
            #expect(try await world.reconciler().sweep(lead: lead) == 1)
            #expect(world.redeliveries(of: first).count == 1)
            #expect(world.redeliveries(of: second).isEmpty)
            #expect(try await world.reconciler().sweep(lead: AlwaysLeading()) == 1)
            #expect(try await world.tasks(from: second) == 1)
        }
    }
}
