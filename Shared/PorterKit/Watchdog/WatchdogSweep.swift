/// One kind of work the watchdog does because time passed: enforce deadlines, find lost workers,
/// remove orphan Machines, recover missed webhook deliveries, prune old rows. Only the leading
/// watchdog runs sweeps, each every `interval`; a sweep that throws is tried again at its next round.
public protocol WatchdogSweep: Sendable {
    /// The sweep's name in metrics (`sweep` label) and logs, in snake_case: `deadlines`, `retention`.
    var name: String { get }
    /// How long after the start of one round the next begins.
    var interval: Duration { get }
    /// Does one round and returns how many items it acted on. `lead` says whether this process still
    /// leads: a round that acts on many items checks it between items and stops when it is false.
    func sweep(lead: any Leadership) async throws -> Int
}

/// Whether this watchdog may still act. Leadership can end at any moment (the lease could not be
/// renewed); a sweep checks before every action, so no two watchdogs ever act at once.
public protocol Leadership: Sendable {
    var isLeading: Bool { get }
}

/// Leadership that never ends: for tests that run one sweep by itself.
public struct AlwaysLeading: Leadership {
    public init() {}
    public var isLeading: Bool { true }
}
