/// How long each kind of row is kept, and how the retention sweep deletes the rest
/// (`PORTER_RETAIN_*`, `PORTER_RETENTION_*`).
public struct RetentionSettings: Sendable, Equatable {
    /// Webhook deliveries, by when they arrived. Keep well past GitHub's 3-day redelivery window:
    /// a redelivered id whose row is gone would be processed again.
    public var deliveries: Duration
    /// Task timeline events, by when they were recorded.
    public var taskEvents: Duration
    /// Delivered or abandoned GitHub side effects, by when they finished; pending ones are never pruned.
    public var sideEffects: Duration
    /// Jobs left behind by finished tasks, and jobs with no task, by when they were created.
    public var jobs: Duration
    /// Sessions, from when they expired or were revoked.
    public var sessions: Duration
    /// Rows deleted per statement; each batch is its own short transaction.
    public var batchSize: Int
    /// A rest between batches, leaving the database to the services that answer requests.
    public var batchPause: Duration
    /// How long one batch may take before the round gives up on it (see `withDeadline`).
    public var batchTimeout: Duration
    /// How often the sweep runs.
    public var interval: Duration

    public init(
        deliveries: Duration = .seconds(30 * 86_400), taskEvents: Duration = .seconds(90 * 86_400),
        sideEffects: Duration = .seconds(30 * 86_400), jobs: Duration = .seconds(7 * 86_400),
        sessions: Duration = .seconds(86_400),
        batchSize: Int = 1_000,
        batchPause: Duration = .milliseconds(10), batchTimeout: Duration = .seconds(60),
        interval: Duration = .seconds(3600)
    ) {
        self.deliveries = deliveries
        self.taskEvents = taskEvents
        self.sideEffects = sideEffects
        self.jobs = jobs
        self.sessions = sessions
        self.batchSize = batchSize
        self.batchPause = batchPause
        self.batchTimeout = batchTimeout
        self.interval = interval
    }

    public static func read(from env: inout EnvironmentReader) -> RetentionSettings {
        let defaults = RetentionSettings()
        return RetentionSettings(
            deliveries: env.optional("PORTER_RETAIN_DELIVERIES", default: defaults.deliveries, Parse.duration),
            taskEvents: env.optional("PORTER_RETAIN_TASK_EVENTS", default: defaults.taskEvents, Parse.duration),
            sideEffects: env.optional("PORTER_RETAIN_SIDE_EFFECTS", default: defaults.sideEffects, Parse.duration),
            jobs: env.optional("PORTER_RETAIN_JOBS", default: defaults.jobs, Parse.duration),
            sessions: env.optional("PORTER_RETAIN_SESSIONS", default: defaults.sessions, Parse.duration),
            batchSize: env.optional("PORTER_RETENTION_BATCH", default: defaults.batchSize, Parse.positiveInt),
            batchPause: env.optional("PORTER_RETENTION_PAUSE", default: defaults.batchPause) {
                $0 == "0" ? .zero : try Parse.duration($0)
            },
            batchTimeout: env.optional(
                "PORTER_RETENTION_BATCH_TIMEOUT", default: defaults.batchTimeout, Parse.duration),
            interval: env.optional("PORTER_RETENTION_INTERVAL", default: defaults.interval, Parse.duration))
    }
}
