import Foundation
import PorterEmulators
import PorterKit
import PorterTestSupport
import Synchronization
import Testing

/// GitHub or the database failing during a reconciliation round: the round stops or asks again
/// later, and a delivery never becomes a second task.
@Suite(.timeLimit(.minutes(3))) struct DeliveryReconcilerFaultTests {
    @Test func gitHubFailingToListRedeliversNothingAndTheNextRoundDoes() async throws {
        try await ReconcileWorld.run { world in
            world.github.dropNextDeliveries(1)
            let dropped = try await world.comment("@porter claude fix it")
            world.github.faults.add(.init(method: "GET", pathPrefix: "/app/hook/deliveries", status: 502))
            await #expect(throws: APIError.self) { try await world.reconciler().sweep(lead: AlwaysLeading()) }
            #expect(world.redeliveries(of: dropped).isEmpty)
            #expect(try await world.gateway.count("webhook_redeliveries") == 0)

            world.github.faults.reset()
            #expect(try await world.reconciler().sweep(lead: AlwaysLeading()) == 1)
            #expect(try await world.tasks(from: dropped) == 1)
        }
    }

    @Test func aRedeliveryRequestGitHubFailsIsAskedAgainNextRound() async throws {
        try await ReconcileWorld.run { world in
            world.github.dropNextDeliveries(1)
            let dropped = try await world.comment("@porter claude fix it")
            world.github.faults.add(
                .init(method: "POST", pathPrefix: "/app/hook/deliveries/", status: 503, remaining: 1))
            await #expect(throws: APIError.self) { try await world.reconciler().sweep(lead: AlwaysLeading()) }
            #expect(world.redeliveries(of: dropped).isEmpty)
            #expect(try await world.gateway.count("webhook_redeliveries") == 0, "nothing is noted for a failed ask")

            #expect(try await world.reconciler().sweep(lead: AlwaysLeading()) == 1)
            #expect(world.redeliveries(of: dropped).count == 1)
            #expect(try await world.tasks(from: dropped) == 1)
        }
    }

    @Test func aLostAnswerToARedeliveryRequestNeverMakesASecondTask() async throws {
        try await ReconcileWorld.run { world in
            world.github.dropNextDeliveries(1)
            let dropped = try await world.comment("@porter claude fix it")
            // GitHub redelivers, but its 202 never arrives.
            world.github.faults.add(
                .init(
                    method: "POST", pathPrefix: "/app/hook/deliveries/", status: 502, remaining: 1,
                    afterHandling: true))
            await #expect(throws: APIError.self) { try await world.reconciler().sweep(lead: AlwaysLeading()) }
            #expect(try await world.recorded(dropped))
            #expect(try await world.reconciler().sweep(lead: AlwaysLeading()) == 0)
            #expect(world.redeliveries(of: dropped).count == 1)
            #expect(try await world.tasks(from: dropped) == 1)
        }
    }

    @Test func aDeliveryGitHubRefusesToRedeliverIsNotedAndNotAskedAgain() async throws {
        try await ReconcileWorld.run { world in
            world.github.dropNextDeliveries(1)
            let dropped = try await world.comment("@porter claude fix it")
            world.github.faults.add(
                .init(
                    method: "POST", pathPrefix: "/app/hook/deliveries/", status: 422,
                    body: #"{"message":"Validation Failed"}"#, remaining: 1))
            #expect(try await world.reconciler().sweep(lead: AlwaysLeading()) == 1)
            #expect(world.redeliveryCount("refused") == 1)
            #expect(try await world.gateway.count("webhook_redeliveries", where: "refused IS NOT NULL") == 1)
            #expect(try await world.reconciler().sweep(lead: AlwaysLeading()) == 0)
            #expect(world.redeliveries(of: dropped).isEmpty)
        }
    }

    @Test func theDatabaseRestartingMidSweepNeverMakesASecondTask() async throws {
        let outage = Mutex<DatabaseURL?>(nil)
        let once = Mutex(false)
        try await ReconcileWorld.run(around: { request, next in
            // The database goes away as the first redelivery request reaches GitHub, so the gateway
            // cannot record the redelivery, and comes back once GitHub has answered.
            let first =
                request.method == .post && request.uri.path.hasSuffix("/attempts")
                && once.withLock { seen in
                    let first = !seen
                    seen = true
                    return first
                }
            guard first, let url = outage.withLock({ $0 }) else { return try await next() }
            try await DatabaseOutage.begin(url)
            do {
                let response = try await next()
                try await DatabaseOutage.end(url)
                return response
            } catch {
                try await DatabaseOutage.end(url)
                throw error
            }
        }) { world in
            outage.withLock { $0 = world.database }
            world.github.dropNextDeliveries(1)
            let dropped = try await world.comment("@porter claude fix it")
            let reconciler = world.reconciler(DeliveryReconcilerSettings(maxAttempts: 5, spacing: .zero))
            var rounds = 0
            while try await !world.recorded(dropped), rounds < 10 {
                rounds += 1
                _ = try? await reconciler.sweep(lead: AlwaysLeading())
            }
            #expect(try await world.recorded(dropped))
            #expect(world.redeliveries(of: dropped).first?.statusCode != 202, "the outage hit the first redelivery")
            #expect(try await world.tasks(from: dropped) == 1)
            #expect(try await reconciler.sweep(lead: AlwaysLeading()) == 0)
            #expect(try await world.tasks(from: dropped) == 1)
        }
    }
}

/// PostgreSQL going away and coming back, as a restart looks to its clients: every connection to the
/// database is closed and new ones are refused until the end.
enum DatabaseOutage {
    static func begin(_ url: DatabaseURL) async throws {
        let server = try TestDatabase.serverURL
        try await TestDatabase.admin(server, "ALTER DATABASE \(url.database) ALLOW_CONNECTIONS false")
        try await TestDatabase.admin(
            server,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(url.database)'")
    }

    static func end(_ url: DatabaseURL) async throws {
        try await TestDatabase.admin(
            try TestDatabase.serverURL, "ALTER DATABASE \(url.database) ALLOW_CONNECTIONS true")
    }
}
