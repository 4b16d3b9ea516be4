import Foundation
import Logging

/// Finds workers that went silent: a running attempt with no heartbeat for the timeout has its worker
/// looked up. Gone, stopped or failed, it is lost: the task gets a new attempt through the bounded
/// infrastructure retry, or ends `failed` saying so once retries are spent. Still running but silent
/// (a network partition), it is left alone until its deadline.
public struct HeartbeatSweep: WatchdogSweep {
    public let name = "heartbeats"
    public let interval: Duration
    let store: WatchdogStore
    let callbacks: any CallbackRepository
    let workers: WorkerRemover
    let finalizer: Finalizer
    let timeout: Duration
    let holder: String
    let logger: Logger

    public init(
        interval: Duration, store: WatchdogStore, callbacks: any CallbackRepository, workers: WorkerRemover,
        finalizer: Finalizer, timeout: Duration, holder: String, logger: Logger
    ) {
        self.interval = interval
        self.store = store
        self.callbacks = callbacks
        self.workers = workers
        self.finalizer = finalizer
        self.timeout = timeout
        self.holder = holder
        self.logger = logger
    }

    public func sweep(lead: any Leadership) async throws -> Int {
        var acted = 0
        for (id, number) in try await store.silentAttempts(timeout: timeout, limit: 50) {
            guard lead.isLeading else { break }
            var logger = logger
            logger[metadataKey: "task_id"] = "\(id.uuidString.lowercased())"
            guard let attempt = try await callbacks.attempt(taskID: id, number: number, includePrompt: false) else {
                continue
            }
            logger[metadataKey: "machine_id"] = "\(attempt.machineID ?? "")"
            let worker = WorkerHandle(attempt)
            let presence: WorkerPresence
            do {
                presence = try await workers.presence(worker)
            } catch {
                // Unknown is not gone: nothing is decided on a guess.
                logger.warning("could not look up a silent worker; next round", metadata: ["error": "\(error)"])
                continue
            }
            guard case .gone(let how) = presence else {
                logger.notice("worker silent but still running; left until its deadline")
                continue
            }
            guard
                try await store.record(
                    holder: holder, sweep: name, action: "worker_lost", subject: id.uuidString.lowercased(),
                    detail: "attempt \(number): \(how)")
            else { break }
            let report = CompletionReport(
                taskID: id, attempt: number, outcome: .failed,
                error: "the worker was lost: no heartbeat for \(StatusComment.format(timeout)), and it is \(how)",
                infrastructure: true)
            guard try await callbacks.finalize(attempt, report, with: finalizer) else { continue }
            try await store.markAttempt(id, number, state: "lost", reason: "lost")
            logger.notice("worker lost", metadata: ["attempt": "\(number)", "found": "\(how)"])
            acted += 1
        }
        return acted
    }
}
