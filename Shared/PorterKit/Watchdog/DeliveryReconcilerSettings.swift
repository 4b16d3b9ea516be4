/// How the watchdog looks for missed webhook deliveries (`PORTER_RECONCILE_*`).
public struct DeliveryReconcilerSettings: Sendable {
    /// GitHub lets deliveries of the last 3 days be redelivered; an older one cannot be recovered.
    public static let longestWindow: Duration = .seconds(3 * 24 * 3600)

    /// How far back GitHub's delivery log is read.
    public var window: Duration
    /// How long after the start of one round the next begins.
    public var interval: Duration
    /// The most redeliveries one round asks for, so a backlog never floods GitHub.
    public var maxPerRound: Int
    /// How many times one delivery is asked for in all, when its redeliveries fail too.
    public var maxAttempts: Int
    /// The pause between two redelivery requests; GitHub asks for writes at least a second apart.
    public var spacing: Duration

    public init(
        window: Duration = .seconds(6 * 3600), interval: Duration = .seconds(5 * 60), maxPerRound: Int = 100,
        maxAttempts: Int = 3, spacing: Duration = .seconds(1)
    ) {
        self.window = window
        self.interval = interval
        self.maxPerRound = maxPerRound
        self.maxAttempts = maxAttempts
        self.spacing = spacing
    }

    /// Reads `PORTER_RECONCILE_WINDOW`, `PORTER_RECONCILE_INTERVAL` and `PORTER_RECONCILE_MAX_PER_ROUND`.
    public static func read(from env: inout EnvironmentReader) -> DeliveryReconcilerSettings {
        let defaults = DeliveryReconcilerSettings()
        return DeliveryReconcilerSettings(
            window: env.optional("PORTER_RECONCILE_WINDOW", default: defaults.window) { value in
                let window = try Parse.duration(value)
                guard window <= longestWindow else {
                    throw InvalidValue("must be at most 72h: GitHub redelivers only the last 3 days")
                }
                return window
            },
            interval: env.optional("PORTER_RECONCILE_INTERVAL", default: defaults.interval, Parse.duration),
            maxPerRound: env.optional(
                "PORTER_RECONCILE_MAX_PER_ROUND", default: defaults.maxPerRound, Parse.positiveInt))
    }
}
