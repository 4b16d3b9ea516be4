import Foundation
import PorterEmulators
import PorterKit
import PorterTestSupport
import PostgresNIO

/// The watchdog's sweeps over a `DispatchWorld`, holding a real lease, with short timeouts.
struct WatchdogWorld: Sendable {
    let world: DispatchWorld
    let lease: LeaderLease
    let store: WatchdogStore
    let workers: WorkerRemover
    let finalizer: Finalizer

    static func make(_ world: DispatchWorld, infraRetries: Int = 2) async throws -> WatchdogWorld {
        let logger = TestDatabase.logger
        let lease = LeaderLease(holder: "test-watchdog", ttl: .seconds(120), client: world.database, logger: logger)
        guard await lease.renew() else { throw ControlTestFailure("the test watchdog could not take the lease") }
        return WatchdogWorld(
            world: world, lease: lease, store: WatchdogStore(client: world.database, logger: logger),
            workers: WorkerRemover(
                fly: FlySettings(
                    apiURL: world.flyURL, token: Secret(FlyHarness.orgToken), app: FlyHarness.app, org: FlyHarness.org),
                secrets: world.secrets, logger: logger),
            finalizer: Finalizer(
                publicURL: DispatchWorld.publicURL, webURL: URL(string: world.emulator.baseURL)!, redactor: Redactor(),
                infraRetries: infraRetries))
    }

    var callbacks: PostgresCallbackRepository {
        PostgresCallbackRepository(client: world.database, logger: TestDatabase.logger)
    }

    func deadlines(reportGrace: Duration = .zero) -> DeadlineSweep {
        DeadlineSweep(
            interval: .seconds(1), store: store, callbacks: callbacks, github: world.client, workers: workers,
            finalizer: finalizer, reportGrace: reportGrace, holder: lease.holder, logger: TestDatabase.logger)
    }

    func heartbeats(timeout: Duration = .seconds(90)) -> HeartbeatSweep {
        HeartbeatSweep(
            interval: .seconds(1), store: store, callbacks: callbacks, workers: workers, finalizer: finalizer,
            timeout: timeout, holder: lease.holder, logger: TestDatabase.logger)
    }

    func orphans(grace: Duration = .zero) -> OrphanSweep {
        OrphanSweep(
            interval: .seconds(1), store: store,
            fly: FlySettings(
                apiURL: world.flyURL, token: Secret(FlyHarness.orgToken), app: FlyHarness.app, org: FlyHarness.org),
            secrets: world.secrets, workers: workers, grace: grace, holder: lease.holder, logger: TestDatabase.logger)
    }

    func stranded() -> DispatchingSweep {
        DispatchingSweep(
            interval: .seconds(1), store: store,
            queue: PostgresJobQueue(client: world.database, logger: TestDatabase.logger), age: .zero,
            holder: lease.holder, logger: TestDatabase.logger)
    }

    /// Makes the task's latest attempt look silent since `seconds` ago.
    func silence(_ id: UUID, for seconds: Int = 600) async throws {
        try await world.database.query(
            """
            UPDATE task_attempts SET last_heartbeat_at = now() - make_interval(secs => \(seconds)),
                started_at = now() - make_interval(secs => \(seconds)),
                created_at = now() - make_interval(secs => \(seconds))
            WHERE task_id = \(id)
            """)
    }

    func actions(_ action: String) async throws -> Int {
        try await world.database.query("SELECT count(*) FROM watchdog_actions WHERE action = \(action)").collect()
            .first!.decode(Int.self)
    }

    func machine(of id: UUID, attempt: Int = 1) -> FlyEmulator.MachineSnapshot? {
        world.fly.machines.first {
            $0.metadata["porter_task"] == id.uuidString.lowercased() && $0.metadata["porter_attempt"] == "\(attempt)"
        }
    }

    /// Waits until the Machine's process is gone, as the host reports it. Killed again each time round:
    /// a Machine still starting has no process for the first kill to reach.
    func waitUntilGone(_ machineID: String) async throws {
        let end = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < end {
            world.fly.kill(machineID)
            if let state = world.fly.machine(machineID)?.state, ["destroyed", "stopped", "failed"].contains(state) {
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ControlTestFailure("machine \(machineID) still \(world.fly.machine(machineID)?.state ?? "?")")
    }
}
