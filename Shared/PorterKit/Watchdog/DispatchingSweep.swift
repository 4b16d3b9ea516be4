import Foundation
import Logging

/// Puts back on the queue unfinished tasks that nothing would move: queued or dispatching (with no
/// worker) and without a dispatch job. The dispatcher carries them on from where they stopped.
public struct DispatchingSweep: WatchdogSweep {
    public let name = "stranded_tasks"
    public let interval: Duration
    let store: WatchdogStore
    let queue: any JobQueue
    /// How long a task must have stood still: a job is written with its task, so this only guards
    /// against acting on a task in the middle of being changed.
    let age: Duration
    let holder: String
    let logger: Logger

    public init(
        interval: Duration, store: WatchdogStore, queue: any JobQueue, age: Duration = .seconds(60), holder: String,
        logger: Logger
    ) {
        self.interval = interval
        self.store = store
        self.queue = queue
        self.age = age
        self.holder = holder
        self.logger = logger
    }

    public func sweep(lead: any Leadership) async throws -> Int {
        var acted = 0
        for (id, priority) in try await store.strandedTasks(age: age, limit: 100) {
            guard lead.isLeading else { break }
            guard
                try await store.record(
                    holder: holder, sweep: name, action: "requeued", subject: id.uuidString.lowercased())
            else { break }
            if try await queue.enqueue(.dispatch(id, priority: priority)) {
                logger.notice(
                    "stranded task put back on the queue", metadata: ["task_id": "\(id.uuidString.lowercased())"])
                acted += 1
            }
        }
        return acted
    }
}
