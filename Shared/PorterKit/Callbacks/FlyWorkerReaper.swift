import AsyncHTTPClient
import Foundation
import Logging

/// Stops and destroys a finished attempt's Fly Machine if it is still there. Workers exit on their own
/// and are created to destroy themselves, so this only removes one that hangs on; the watchdog's
/// orphan sweep catches whatever this misses.
public struct FlyWorkerReaper: WorkerReaper {
    let remover: WorkerRemover
    /// Time the worker gets to exit by itself after its report is acknowledged.
    let grace: Duration
    let logger: Logger

    public init(
        fly: FlySettings, secrets: any UserSecretStore, grace: Duration = .seconds(15),
        httpClient: HTTPClient = .shared, pacer: (any FlyPacer)? = nil, logger: Logger
    ) {
        self.remover = WorkerRemover(fly: fly, secrets: secrets, httpClient: httpClient, pacer: pacer, logger: logger)
        self.grace = grace
        self.logger = logger
    }

    public func reap(_ attempt: CallbackAttempt) async {
        guard attempt.runtime == WorkerRuntime.fly.rawValue, let id = attempt.machineID else { return }
        var logger = logger
        logger[metadataKey: "task_id"] = "\(attempt.task.id.uuidString.lowercased())"
        logger[metadataKey: "machine_id"] = "\(id)"
        do {
            try await Task.sleep(for: grace)
            try await remover.stop(WorkerHandle(attempt))
        } catch {
            logger.warning(
                "could not remove a finished worker's Machine; the watchdog will",
                metadata: ["error": "\(String(reflecting: error))"])
        }
    }
}
