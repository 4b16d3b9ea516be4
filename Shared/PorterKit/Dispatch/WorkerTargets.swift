import Foundation
import Logging

/// Where one task's worker runs and the launcher that starts it there.
public struct WorkerTarget: Sendable {
    public var launcher: any WorkerLauncher
    public var runtime: WorkerRuntime
    public var flyApp: String?
    /// The worker runs in the requester's own Fly app, with their token: they can read its environment
    /// and memory, so only their own provider keys may go there.
    public var inRequesterApp: Bool = false
}

/// A worker target that cannot be used; the task ends with this text as its reason.
public struct WorkerTargetProblem: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Picks each task's worker target: a local process, or a Fly Machine in the requester's own Fly app
/// with their token when their settings name them, else in the operator's. A Fly app that does not
/// exist yet is created in the org when the token may, on a private network of its own: the code a
/// worker runs never shares a network with Porter's services, its database or another worker app.
public actor WorkerTargets {
    let runtime: WorkerRuntime
    let fly: FlySettings
    let shape: MachineShape
    let local: LocalWorkerLauncher?
    let metrics: ServiceMetrics?
    let logger: Logger
    /// One limiter for every Fly client of the process, so all tasks in one app pace together.
    let limiter = RateLimiter()
    /// Paces Fly calls with the other replicas; without it (or while it fails) `limiter` paces alone.
    let pacer: (any FlyPacer)?
    /// Apps seen to exist, by token fingerprint and app name: checked once per process.
    private var knownApps: Set<String> = []

    public init(
        runtime: WorkerRuntime, fly: FlySettings, shape: MachineShape, local: LocalWorkerLauncher?,
        pacer: (any FlyPacer)? = nil, metrics: ServiceMetrics?, logger: Logger
    ) {
        self.runtime = runtime
        self.fly = fly
        self.shape = shape
        self.local = local
        self.pacer = pacer
        self.metrics = metrics
        self.logger = logger
    }

    /// Whether a task whose requester stored their own Fly token runs in their own Fly app, as `target`
    /// decides: on Fly it does; a local worker never uses the requester's token.
    public nonisolated func runsInRequesterApp(requesterHasFlyToken: Bool) -> Bool {
        runtime == .fly && requesterHasFlyToken
    }

    /// The target for a task whose requester has the Fly token `userToken` and `app`/`org` in their settings.
    /// `attemptApp`, when set, is the app of an attempt still being created: it wins over settings.
    public func target(
        userToken ownToken: String?, app userApp: String?, org userOrg: String?, attemptApp: String? = nil
    ) async throws -> WorkerTarget {
        if runtime == .local {
            guard let local else { throw WorkerTargetProblem("no local worker command is configured") }
            return WorkerTarget(launcher: local, runtime: .local, flyApp: nil)
        }
        guard let token = ownToken ?? fly.token?.value else {
            throw WorkerTargetProblem(
                "no Fly.io token is configured: add one in your Porter settings, or ask the operator to set FLY_API_TOKEN"
            )
        }
        // A requester's own token goes with their own app; the operator's with the operator's.
        let app = attemptApp ?? (ownToken != nil ? (userApp ?? fly.app) : fly.app)
        let org = ownToken != nil ? (userOrg ?? fly.org) : fly.org
        guard let app, let image = shape.image else {
            throw WorkerTargetProblem("no Fly.io app is configured: set one in your Porter settings")
        }
        let client = FlyClient(
            baseURL: fly.apiURL, token: Secret(token), limiter: limiter, pacer: pacer, metrics: metrics,
            logger: logger)
        try await ensureApp(app, org: org, client: client, token: token)
        return WorkerTarget(
            launcher: FlyWorkerLauncher(fly: client, app: app, image: image, shape: shape), runtime: .fly,
            flyApp: app, inRequesterApp: runsInRequesterApp(requesterHasFlyToken: ownToken != nil))
    }

    private func ensureApp(_ app: String, org: String?, client: FlyClient, token: String) async throws {
        let key = "\(TaskToken(value: token).hash.prefix(8).map { String($0, radix: 16) }.joined()) \(app)"
        guard !knownApps.contains(key) else { return }
        do {
            _ = try await client.app(app)
        } catch let error as APIError where error.statusCode == 404 {
            guard let org else {
                throw WorkerTargetProblem("the Fly.io app \(app) does not exist and no Fly org is set to create it in")
            }
            do {
                try await client.createWorkerApp(app, org: org)
                logger.notice(
                    "created the Fly app for workers on a network of its own",
                    metadata: [
                        "app": "\(app)", "org": "\(org)", "network": "\(FlyClient.workerNetwork(forApp: app))",
                    ])
            } catch let error as APIError where error.statusCode.map({ (400..<500).contains($0) }) == true {
                // Another task (or replica) may have created it a moment ago.
                guard (try? await client.app(app)) != nil else {
                    throw WorkerTargetProblem("the Fly.io app \(app) does not exist and could not be created: \(error)")
                }
            }
        } catch let error as APIError where error.statusCode == 401 || error.statusCode == 403 {
            throw WorkerTargetProblem("Fly.io refused the token for the app \(app) (\(error.statusCode!))")
        }
        knownApps.insert(key)
    }
}
