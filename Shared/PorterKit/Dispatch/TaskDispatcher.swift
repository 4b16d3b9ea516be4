import Foundation
import Logging
import Prometheus
import ServiceLifecycle

/// The dispatcher's worker loop: `concurrency` workers claim `dispatch` jobs one at a time under a
/// lease and run each through the `DispatchProcessor`. Woken by NOTIFY on the jobs channel, with a
/// backstop poll; on graceful shutdown each worker finishes the job in hand and stops.
public struct TaskDispatcher: Service {
    public static let jobKind = "dispatch"

    let queue: any JobQueue
    let wakeups: JobWakeups
    let processor: DispatchProcessor
    let owner: String
    let lease: Duration
    let concurrency: Int
    let crashPoints: CrashPoints
    let claims: Counter?
    let queueDepth: Gauge?
    let logger: Logger

    public init(
        queue: any JobQueue, wakeups: JobWakeups, processor: DispatchProcessor, owner: String,
        lease: Duration = .seconds(60), concurrency: Int = 16, crashPoints: CrashPoints = .none,
        metrics: ServiceMetrics? = nil, logger: Logger
    ) {
        self.queue = queue
        self.wakeups = wakeups
        self.processor = processor
        self.owner = owner
        self.lease = lease
        self.concurrency = concurrency
        self.crashPoints = crashPoints
        self.claims = metrics?.counter("claims", help: "Dispatch jobs claimed.")
        self.queueDepth = metrics?.gauge("queue_depth", unit: "jobs", help: "Dispatch jobs waiting or in hand.")
        self.logger = logger
    }

    public func run() async throws {
        let signal = WakeSignal()
        await withDiscardingTaskGroup { group in
            group.addTask { try? await wakeups.run() }
            group.addTask {
                for await _ in wakeups.wakeups {
                    await signal.wake()
                    await recordDepth()
                }
                await signal.finish()
            }
            for _ in 0..<concurrency {
                group.addTask { await work(signal) }
            }
        }
    }

    /// Claims and runs jobs until none is ready, then sleeps until the next wake-up.
    func work(_ signal: WakeSignal) async {
        while true {
            let seen = await signal.generation
            do {
                while try await runOne() {
                    if await signal.isFinished { return }
                }
            } catch {
                logger.error("claiming dispatch jobs failed", metadata: ["error": "\(String(reflecting: error))"])
            }
            guard await signal.wait(after: seen) else { return }
        }
    }

    /// Claims one job and runs it; false when there was none.
    @discardableResult
    public func runOne() async throws -> Bool {
        guard let job = try await queue.claim(kinds: [Self.jobKind], owner: owner, lease: lease, limit: 1).first
        else { return false }
        claims?.increment()
        crashPoints.hit(.afterClaim)
        // A slow step (Fly retrying a create) must not outlive the lease and let a second dispatcher in.
        let keeper = Task {
            while true {
                try await Task.sleep(for: lease / 3)
                guard try await queue.extend(job.id, owner: owner, lease: lease) else { return }
            }
        }
        defer { keeper.cancel() }
        switch await processor.process(job) {
        case .done:
            if try await !queue.complete(job.id, owner: owner) {
                logger.warning("dispatch job lease lost before completion", metadata: ["job_id": "\(job.id)"])
            }
        case .later(let delay, let reason):
            _ = try await queue.release(job.id, owner: owner, after: delay, error: reason)
        }
        return true
    }
}

extension TaskDispatcher {
    func recordDepth() async {
        guard let queueDepth else { return }
        do {
            queueDepth.set(Int64(try await queue.depth(kinds: [Self.jobKind])))
        } catch {
            logger.debug("queue depth unavailable", metadata: ["error": "\(String(reflecting: error))"])
        }
    }
}

/// Wakes every idle worker at once. A worker remembers the generation it saw before looking for
/// work, so a wake-up that comes while it looks is not lost.
actor WakeSignal {
    private(set) var generation = 0
    private(set) var isFinished = false
    private var waiters: [CheckedContinuation<Bool, Never>] = []

    func wake() {
        generation += 1
        let ready = waiters
        waiters = []
        for waiter in ready { waiter.resume(returning: true) }
    }

    func finish() {
        isFinished = true
        let ready = waiters
        waiters = []
        for waiter in ready { waiter.resume(returning: false) }
    }

    /// Returns true at the first wake-up after `seen`, false once finished.
    func wait(after seen: Int) async -> Bool {
        if isFinished { return false }
        if generation > seen { return true }
        return await withCheckedContinuation { waiters.append($0) }
    }
}
