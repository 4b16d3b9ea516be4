import AsyncHTTPClient
import Foundation
import Logging

/// Stops and destroys a finished attempt's Fly Machine if it is still there. Workers exit on their own
/// and are created to destroy themselves, so this only removes one that hangs on; the watchdog's
/// orphan sweep catches whatever this misses.
public struct FlyWorkerReaper: WorkerReaper {
    let fly: FlySettings
    let secrets: any UserSecretStore
    /// Time the worker gets to exit by itself after its report is acknowledged.
    let grace: Duration
    let httpClient: HTTPClient
    let logger: Logger

    public init(
        fly: FlySettings, secrets: any UserSecretStore, grace: Duration = .seconds(15),
        httpClient: HTTPClient = .shared, logger: Logger
    ) {
        self.fly = fly
        self.secrets = secrets
        self.grace = grace
        self.httpClient = httpClient
        self.logger = logger
    }

    public func reap(_ attempt: CallbackAttempt) async {
        guard attempt.runtime == WorkerRuntime.fly.rawValue, let id = attempt.machineID, let app = attempt.flyApp
        else { return }
        var logger = logger
        logger[metadataKey: "task_id"] = "\(attempt.task.id.uuidString.lowercased())"
        logger[metadataKey: "machine_id"] = "\(id)"
        do {
            try await Task.sleep(for: grace)
            // The Machine lives in the requester's own Fly app when they configured a token.
            let token =
                try await secrets.value(userID: attempt.task.requester.id, name: "FLY_API_TOKEN") ?? fly.token?.value
            guard let token else {
                logger.warning("no Fly token to remove a finished worker with")
                return
            }
            let client = FlyClient(baseURL: fly.apiURL, token: Secret(token), httpClient: httpClient, logger: logger)
            let machine = try await client.machine(app: app, id: id)
            guard machine.state != .destroyed, machine.state != .destroying else { return }
            if machine.state != .stopped {
                try await client.stopMachine(app: app, id: id, timeout: .seconds(10))
            }
            try await client.destroyMachine(app: app, id: id)
            logger.info("finished worker's Machine removed", metadata: ["state": "\(machine.state)"])
        } catch let error as APIError where error.statusCode == 404 {
            return
        } catch {
            logger.warning(
                "could not remove a finished worker's Machine; the watchdog will",
                metadata: ["error": "\(String(reflecting: error))"])
        }
    }
}
