import Foundation
import Logging

/// Removes worker Machines nothing needs: tagged by Porter, older than the grace period, and whose task
/// has ended, whose attempt was superseded or ended, or which no task knows. It looks in the operator's
/// app and in every app a requester configured with their own token.
public struct OrphanSweep: WatchdogSweep {
    public let name = "orphans"
    public let interval: Duration
    let store: WatchdogStore
    let fly: FlySettings
    let pacer: (any FlyPacer)?
    let secrets: any UserSecretStore
    let workers: WorkerRemover
    let grace: Duration
    let holder: String
    let logger: Logger

    public init(
        interval: Duration, store: WatchdogStore, fly: FlySettings, pacer: (any FlyPacer)? = nil,
        secrets: any UserSecretStore, workers: WorkerRemover, grace: Duration, holder: String, logger: Logger
    ) {
        self.pacer = pacer
        self.interval = interval
        self.store = store
        self.fly = fly
        self.secrets = secrets
        self.workers = workers
        self.grace = grace
        self.holder = holder
        self.logger = logger
    }

    public func sweep(lead: any Leadership) async throws -> Int {
        var apps: [(app: String, token: String)] = []
        if let app = fly.app, let token = fly.token?.value { apps.append((app, token)) }
        for (userID, app) in try await store.userFlyApps() {
            guard let token = try await secrets.value(userID: userID, name: "FLY_API_TOKEN") else { continue }
            if !apps.contains(where: { $0.app == app && $0.token == token }) { apps.append((app, token)) }
        }
        var acted = 0
        var failures: [any Error] = []
        for (app, token) in apps {
            guard lead.isLeading else { break }
            do {
                acted += try await sweep(app: app, token: token, lead: lead)
            } catch {
                // One app Fly cannot answer for does not keep the others from being swept.
                logger.warning("could not sweep a Fly app", metadata: ["app": "\(app)", "error": "\(error)"])
                failures.append(error)
            }
        }
        if let first = failures.first, acted == 0 { throw first }
        return acted
    }

    func sweep(app: String, token: String, lead: any Leadership) async throws -> Int {
        let client = FlyClient(baseURL: fly.apiURL, token: Secret(token), pacer: pacer, logger: logger)
        let now = Date()
        var acted = 0
        for machine in try await client.machines(app: app) where !machine.state.isGone {
            guard lead.isLeading else { break }
            guard let metadata = machine.config?.metadata, let task = metadata["porter_task"] else { continue }
            // A Machine just created may not be recorded on its attempt yet.
            guard let created = machine.createdAt.flatMap(Self.date), now.timeIntervalSince(created) >= grace.seconds
            else { continue }
            let reason: String
            if let taskID = UUID(uuidString: task), let attempt = metadata["porter_attempt"].flatMap(Int.init) {
                guard let found = try await store.orphanReason(taskID: taskID, attempt: attempt) else { continue }
                reason = found
            } else {
                reason = "its tags name no task"
            }
            guard
                try await store.record(
                    holder: holder, sweep: name, action: "orphan_removed", subject: machine.id,
                    detail: "\(app): \(reason)")
            else { break }
            try await workers.stopMachine(app: app, id: machine.id, token: token)
            logger.notice(
                "orphan Machine removed",
                metadata: ["machine_id": "\(machine.id)", "app": "\(app)", "task_id": "\(task)", "reason": "\(reason)"])
            acted += 1
        }
        return acted
    }

    static func date(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text) ?? ISO8601DateFormatter().date(from: text)
    }
}
