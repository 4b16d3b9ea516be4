import Foundation
import Logging

/// Ends tasks nobody reported for by their deadline plus the report grace: the worker is stopped and
/// destroyed, and the task ends `timed_out` through the same finalization a worker's report takes.
/// Work the worker pushed before it died is found on its branch and still becomes a draft pull request
/// (a follow-up's, on its side branch, is linked from the final comment).
public struct DeadlineSweep: WatchdogSweep {
    public let name = "deadlines"
    public let interval: Duration
    let store: WatchdogStore
    let callbacks: any CallbackRepository
    let github: GitHubClient
    let workers: WorkerRemover
    let finalizer: Finalizer
    /// How long after its deadline a report is still awaited (the task token carries it that long).
    let reportGrace: Duration
    let holder: String
    let logger: Logger

    public init(
        interval: Duration, store: WatchdogStore, callbacks: any CallbackRepository, github: GitHubClient,
        workers: WorkerRemover, finalizer: Finalizer, reportGrace: Duration = .seconds(TaskToken.reportGrace),
        holder: String, logger: Logger
    ) {
        self.interval = interval
        self.store = store
        self.callbacks = callbacks
        self.github = github
        self.workers = workers
        self.finalizer = finalizer
        self.reportGrace = reportGrace
        self.holder = holder
        self.logger = logger
    }

    public func sweep(lead: any Leadership) async throws -> Int {
        var acted = 0
        for id in try await store.overdueTasks(grace: reportGrace, limit: 50) {
            guard lead.isLeading else { break }
            var logger = logger
            logger[metadataKey: "task_id"] = "\(id.uuidString.lowercased())"
            guard let attempt = try await callbacks.attempt(taskID: id, number: nil, includePrompt: false) else {
                continue
            }
            let worker = WorkerHandle(attempt)
            guard let report = try await timedOutReport(attempt, logger: logger) else { continue }
            do {
                try await workers.stop(worker)
            } catch  where !Failure.isPermanent(error) {
                // Fly or the network is down: nothing is decided until the worker is known to be stopped.
                logger.warning("could not stop an overdue worker; next round", metadata: ["error": "\(error)"])
                continue
            } catch {
                logger.error("could not stop an overdue worker; ending its task", metadata: ["error": "\(error)"])
            }
            guard
                try await store.record(
                    holder: holder, sweep: name, action: "timed_out", subject: id.uuidString.lowercased(),
                    detail: report.branch.map { "work on \($0)" } ?? "no work pushed")
            else { break }
            guard try await callbacks.finalize(attempt, report, with: finalizer) else { continue }
            try await store.markAttempt(id, attempt.number, state: "finished", reason: "deadline")
            logger.notice(
                "task timed out without a report; its worker was removed",
                metadata: ["machine_id": "\(attempt.machineID ?? "")", "pushed": "\(report.branch != nil)"])
            acted += 1
        }
        return acted
    }

    /// The report the worker would have sent: `timed_out`, with its branch when it pushed one. Nil
    /// when GitHub cannot say now; the next round asks again. A follow-up's timed-out work goes to its
    /// side branch (its pull request's branch always exists, and holds others' work): that is looked
    /// for, the worker's fallback name (`-<attempt>`, taken when the first existed) first.
    func timedOutReport(_ attempt: CallbackAttempt, logger: Logger) async throws -> CompletionReport? {
        var report = CompletionReport(
            taskID: attempt.task.id, attempt: attempt.number, outcome: .timedOut,
            error: "the worker did not report by its deadline")
        guard let spec = attempt.spec,
            let (owner, repo) = IssueReference.ownerAndName(attempt.task.issue.repositoryFullName)
        else { return report }
        let candidates: [String]
        if attempt.task.kind == .followUp {
            guard let side = spec.followUp?.sideBranch else { return report }
            candidates = ["\(side)-\(attempt.number)", side]
        } else {
            candidates = [spec.branch]
        }
        do {
            for branch in candidates {
                guard
                    let head = try await github.branchHead(
                        installationID: Int(attempt.task.issue.installationID), owner: owner, repo: repo,
                        branch: branch)
                else { continue }
                report.branch = branch
                report.headSHA = head
                if attempt.task.kind == .followUp { report.sideBranch = branch }
                break
            }
        } catch  where !Failure.isPermanent(error) {
            logger.warning("could not look up an overdue task's branch; next round", metadata: ["error": "\(error)"])
            return nil
        } catch {
            logger.warning("could not look up an overdue task's branch", metadata: ["error": "\(error)"])
        }
        return report
    }
}
