import Foundation
import Logging

/// Finishes cancellations (`cancel` jobs). A task cancelled while queued gets the final form of its
/// status comment and label. A worker asked to stop hears it at its next heartbeat and reports,
/// which ends its task; one that has not within `grace` of the request (it hangs, its Machine is
/// still booting, or it exited without reporting) is stopped and destroyed here, and its task ends
/// `cancelled`. A report that arrives after that changes nothing.
public struct CancelProcessor: Sendable {
    let repository: any ControlRepository
    let stopper: any WorkerStopper
    let publicURL: URL
    let grace: Duration
    let budget: FailureBudget
    let logger: Logger

    public init(
        repository: any ControlRepository, stopper: any WorkerStopper, publicURL: URL, grace: Duration,
        budget: FailureBudget = FailureBudget(), logger: Logger
    ) {
        self.repository = repository
        self.stopper = stopper
        self.publicURL = publicURL
        self.grace = grace
        self.budget = budget
        self.logger = logger
    }

    public func process(_ job: ClaimedJob) async -> JobOutcome {
        guard let taskID = job.taskID,
            let order = try? JSONDecoder().decode(CancelOrder.self, from: Data(job.payload.utf8))
        else {
            logger.error("malformed cancel job dropped", metadata: ["job_id": "\(job.id)"])
            return .done
        }
        var logger = logger
        logger[metadataKey: "task_id"] = "\(taskID.uuidString.lowercased())"
        do {
            guard let state = try await repository.cancelState(taskID: taskID) else { return .done }
            return try await finish(state, order: order, job: job, logger: logger)
        } catch {
            logger.warning("cancel step failed; will retry", metadata: ["error": "\(String(reflecting: error))"])
            return .failed(budget.delay(job), reason: "\(error)")
        }
    }

    func finish(_ state: CancelState, order: CancelOrder, job: ClaimedJob, logger: Logger) async throws -> JobOutcome {
        let task = state.task
        if order.finalizeOnly || task.status == .queued {
            if task.status == .queued {
                // Back in the queue after its worker was asked to stop: nothing runs, it ends here.
                _ = try await repository.endStopped(task, attempt: nil, reason: order.reason, notices: [])
            }
            // No status comment was ever posted for a task that was never authorized: none to finish.
            guard state.hasStatusComment else { return .done }
            try await repository.notify(
                installationID: task.issue.installationID, taskID: task.id,
                notices: notices(task, state, detail: Self.sentence(order.reason)))
            return .done
        }
        guard !task.status.isTerminal else { return .done }
        let requested = state.cancelRequestedAt ?? state.now
        let waited = Duration.seconds(state.now.timeIntervalSince(requested))
        if waited < grace { return .later(grace - waited, reason: "the worker has \(grace - waited) to stop") }
        guard let worker = state.worker, worker.machineID != nil else {
            // No worker yet: the dispatch job sees the stop before creating one, and ends the task.
            return .later(.seconds(2), reason: "waiting for the dispatcher to see the stop")
        }
        do {
            try await stopper.stop(worker)
        } catch  where !Failure.isPermanent(error) && !budget.isExhausted(job, now: Date()) {
            logger.warning("could not stop the worker; will retry", metadata: ["error": "\(String(reflecting: error))"])
            return .failed(budget.delay(job), reason: "stopping the worker failed: \(error)")
        } catch {
            // The task still ends: the watchdog's orphan sweep removes a Machine that outlived it.
            logger.error(
                "could not stop the worker; ending its task anyway",
                metadata: ["error": "\(String(reflecting: error))", "machine_id": "\(worker.machineID ?? "")"])
        }
        let detail = """
            \(Self.sentence(order.reason)) The worker did not stop by itself within \
            \(StatusComment.format(grace)), so it was stopped and removed.
            """
        if try await repository.endStopped(
            task, attempt: worker.attempt, reason: order.reason, notices: notices(task, state, detail: detail))
        {
            logger.info(
                "task cancelled; its worker was stopped",
                metadata: ["machine_id": "\(worker.machineID ?? "")", "attempt": "\(worker.attempt)"])
        }
        return .done
    }

    func notices(_ task: PorterTask, _ state: CancelState, detail: String) -> [TaskNotice] {
        let notices = TaskNotice.status(task, .finished(.cancelled, detail: detail), publicURL: publicURL)
        guard state.otherActiveOnIssue else { return notices }
        return notices.filter { $0.effect.kind != "set_labels" }
    }

    /// "stopped by @alice" → "Stopped by @alice."
    static func sentence(_ reason: String) -> String {
        guard let first = reason.first else { return "" }
        return first.uppercased() + reason.dropFirst() + (reason.hasSuffix(".") ? "" : ".")
    }
}
