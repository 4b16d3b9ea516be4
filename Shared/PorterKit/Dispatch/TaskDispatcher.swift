import Foundation
import Logging
import Prometheus
import ServiceLifecycle

/// The dispatcher's worker loop and the one consumer of every job kind: claims jobs under a lease,
/// up to `concurrency` in hand at once, and runs `dispatch` jobs through the `DispatchProcessor`,
/// `control` jobs through the `ControlProcessor` and `cancel` jobs through the `CancelProcessor`.
/// Woken by NOTIFY on the jobs channel, with a backstop poll; on graceful shutdown each worker
/// finishes the job in hand and stops.
public struct TaskDispatcher: Service {
    /// Every kind this loop claims: all of them.
    public static let jobKinds = JobKind.allCases.map(\.rawValue)

    let queue: any JobQueue
    let wakeups: JobWakeups
    let processor: DispatchProcessor
    let control: ControlProcessor
    let cancel: CancelProcessor
    let owner: String
    let lease: Duration
    let concurrency: Int
    let crashPoints: CrashPoints
    let claims: Counter?
    let queueDepth: Gauge?
    let logger: Logger

    public init(
        queue: any JobQueue, wakeups: JobWakeups, processor: DispatchProcessor, control: ControlProcessor,
        cancel: CancelProcessor, owner: String,
        lease: Duration = .seconds(60), concurrency: Int = 16, crashPoints: CrashPoints = .none,
        metrics: ServiceMetrics? = nil, logger: Logger
    ) {
        self.queue = queue
        self.wakeups = wakeups
        self.processor = processor
        self.control = control
        self.cancel = cancel
        self.owner = owner
        self.lease = lease
        self.concurrency = concurrency
        self.crashPoints = crashPoints
        self.claims = metrics?.counter("claims", help: "Jobs claimed.")
        self.queueDepth = metrics?.gauge("queue_depth", unit: "jobs", help: "Jobs waiting or in hand.")
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
            group.addTask { await claimLoop(signal) }
        }
    }

    /// Claims as many ready jobs as there are free slots, in one query, and runs each in its own
    /// task; sleeps until the next wake-up when none is ready. A burst is claimed in batches, a
    /// trickle one job at a time.
    func claimLoop(_ signal: WakeSignal) async {
        let slots = Slots(concurrency)
        await withDiscardingTaskGroup { group in
            while true {
                let free = await slots.available()
                if await signal.isFinished { return }
                let seen = await signal.generation
                var jobs: [ClaimedJob] = []
                do {
                    // A claim waiting for a connection to an unreachable database must not hold up shutdown.
                    jobs = try await cancelWhenGracefulShutdown { [queue, owner, lease] in
                        try await queue.claim(kinds: Self.jobKinds, owner: owner, lease: lease, limit: free)
                    }
                } catch {
                    if Task.isShuttingDownGracefully { return }
                    logger.error("claiming jobs failed", metadata: ["error": "\(String(reflecting: error))"])
                }
                guard !jobs.isEmpty else {
                    guard await signal.wait(after: seen) else { return }
                    continue
                }
                await slots.take(jobs.count)
                for job in jobs {
                    // The slot frees once the job's work is done: its completion or release commits
                    // while the next claim runs, as the queue's completions are gathered anyway.
                    group.addTask { await handle(job) { await slots.give() } }
                }
            }
        }
    }

    /// Claims one job and runs it; false when there was none.
    @discardableResult
    public func runOne() async throws -> Bool {
        guard let job = try await queue.claim(kinds: Self.jobKinds, owner: owner, lease: lease, limit: 1).first
        else { return false }
        await handle(job)
        return true
    }

    /// Runs one claimed job through the processor, calls `worked` (its slot is free), then completes or
    /// releases it. The lease is kept until then.
    func handle(_ job: ClaimedJob, worked: () async -> Void = {}) async {
        claims?.increment()
        crashPoints.hit(.afterClaim)
        // A slow step (Fly retrying a create) must not outlive the lease and let a second dispatcher in.
        let keeper = Task {
            while true {
                try await Task.sleep(for: lease / 3)
                do {
                    guard try await queue.extend(job.id, owner: owner, lease: lease) else { return }
                } catch {
                    // A database blip: try again at the next third of the lease, well before it ends.
                    logger.warning("extending a job lease failed", metadata: ["job_id": "\(job.id)"])
                }
            }
        }
        defer { keeper.cancel() }
        let outcome: JobOutcome
        switch JobKind(rawValue: job.kind) {
        case .dispatch: outcome = await processor.process(job)
        case .control: outcome = await control.process(job)
        case .cancel: outcome = await cancel.process(job)
        case nil:
            // Written by a newer build: leave it for a dispatcher that knows it.
            logger.error("job of an unknown kind", metadata: ["job_id": "\(job.id)", "kind": "\(job.kind)"])
            outcome = .later(.seconds(300), reason: "unknown job kind \(job.kind)")
        }
        await worked()
        do {
            switch outcome {
            case .done:
                if try await !queue.complete(job.id, owner: owner) {
                    logger.warning("job lease lost before completion", metadata: ["job_id": "\(job.id)"])
                }
            case .later(let delay, let reason):
                _ = try await queue.release(job.id, owner: owner, after: delay, error: reason, failed: false)
            case .failed(let delay, let reason):
                _ = try await queue.release(job.id, owner: owner, after: delay, error: reason, failed: true)
            }
        } catch {
            // The lease runs out and another claim picks the job up again.
            logger.error(
                "finishing a job failed",
                metadata: ["job_id": "\(job.id)", "error": "\(String(reflecting: error))"])
        }
    }
}

/// Counts a dispatcher's free processing slots; the claimer waits for one before claiming.
actor Slots {
    private var free: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(_ count: Int) { free = count }

    /// Waits until a slot is free and returns how many are.
    func available() async -> Int {
        while free == 0 { await withCheckedContinuation { waiting.append($0) } }
        return free
    }

    func take(_ count: Int) { free -= count }

    func give() {
        free += 1
        if !waiting.isEmpty { waiting.removeFirst().resume() }
    }
}

extension TaskDispatcher {
    func recordDepth() async {
        guard let queueDepth else { return }
        do {
            let depth = try await cancelWhenGracefulShutdown { [queue] in try await queue.depth(kinds: Self.jobKinds) }
            queueDepth.set(Int64(depth))
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
