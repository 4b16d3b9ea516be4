import Logging
import PostgresNIO
import Synchronization

/// Figures over many tasks (the history's stat cards and totals, the agents' table) kept between
/// requests while no task has changed.
///
/// Each figure reads tens of thousands of index entries; a page opened by many people, or reloaded,
/// should not read them again while nothing changed. A kept answer is used while the generation it
/// was read under is still current, for `quiet` at most: the generation is taken before the read, so
/// a change the read might not have seen always moves it. Callers asking for a figure while it is
/// being read wait for that one read.
public final class FigureCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    /// What must stay the same for a kept figure to hold.
    public struct Generation: Equatable, Sendable {
        /// `TaskChangeFeed.generation`: catches every announced change, a moment after its commit.
        public var announced: UInt64
        /// The newest task change number committed: catches a change at once, unless its number was
        /// taken before another's that committed first, which `announced` then catches.
        public var stored: Int64

        public init(announced: UInt64, stored: Int64) {
            self.announced = announced
            self.stored = stored
        }
    }

    private struct Entry {
        let serial: UInt64
        let generation: Generation
        let started: ContinuousClock.Instant
        let value: Task<Value, any Error>
        /// The answer, once `value` gave it.
        var answer: Value?
    }

    private struct State {
        var entries: [Key: Entry] = [:]
        var serial: UInt64 = 0
    }

    private let state = Mutex(State())
    private let generation: @Sendable () async throws -> Generation?
    private let quiet: Duration
    private let capacity: Int

    /// - Parameters:
    ///   - generation: moves whenever a figure may have changed; nil when that cannot be known, and
    ///     then nothing is kept.
    ///   - quiet: the longest an answer is kept; it also bounds figures that move with the time (a
    ///     window of the last 30 days).
    ///   - capacity: the most answers kept; the stale, then the oldest, make room.
    public init(
        generation: @escaping @Sendable () async throws -> Generation?, quiet: Duration = .seconds(60),
        capacity: Int = 1_000
    ) {
        self.generation = generation
        self.quiet = quiet
        self.capacity = capacity
    }

    /// Figures kept while this process's change feed is listening and no task changed.
    public convenience init(feed: TaskChangeFeed, client: PostgresClient, logger: Logger) {
        let changes = TaskChangeStore(client: client, logger: logger)
        self.init(generation: {
            guard let announced = feed.generation else { return nil }
            return Generation(announced: announced, stored: try await changes.latest())
        })
    }

    /// How many answers are kept now.
    public var count: Int { state.withLock { $0.entries.count } }

    /// The kept answer for `key` while it still holds, or the one `read` gives now. A failed read is
    /// not kept.
    public func value(for key: Key, read: @escaping @Sendable () async throws -> Value) async throws -> Value {
        guard let current = try await generation() else { return try await read() }
        let now = ContinuousClock.now
        let entry = state.withLock { state -> Entry in
            if let kept = state.entries[key], holds(kept, at: now, under: current) { return kept }
            state.serial &+= 1
            let entry = Entry(serial: state.serial, generation: current, started: now, value: Task { try await read() })
            if state.entries[key] == nil, state.entries.count >= capacity {
                state.entries = state.entries.filter { holds($0.value, at: now, under: current) }
                while state.entries.count >= capacity,
                    let oldest = state.entries.min(by: { $0.value.started < $1.value.started })
                {
                    state.entries[oldest.key] = nil
                }
            }
            state.entries[key] = entry
            return entry
        }
        do {
            let answer = try await entry.value.value
            state.withLock { state in
                if state.entries[key]?.serial == entry.serial { state.entries[key]?.answer = answer }
            }
            return answer
        } catch {
            state.withLock { state in
                if state.entries[key]?.serial == entry.serial { state.entries[key] = nil }
            }
            throw error
        }
    }

    /// The kept answer for `key` if it still holds and is ready; nil, without reading anything, when it
    /// is not, or is still being read.
    public func kept(for key: Key) async throws -> Value? {
        guard let current = try await generation() else { return nil }
        let now = ContinuousClock.now
        return state.withLock { state in
            state.entries[key].flatMap { holds($0, at: now, under: current) ? $0.answer : nil }
        }
    }

    private func holds(_ entry: Entry, at now: ContinuousClock.Instant, under generation: Generation) -> Bool {
        entry.generation == generation && now - entry.started < quiet
    }
}

/// The figures web-api keeps: the history's totals, stat cards and type-ahead offers, and the agents'
/// table, each for one person's visibility and filter, and the table of every task's figure columns
/// the cards and the agents' table are counted from. One per process, shared by the stores.
public struct TaskFigures: Sendable {
    struct Scope: Hashable, Sendable {
        var userID: Int64
        var repositories: [Int64]
        var filter: TaskFilter
        /// What else the figure depends on: a facet and a count, a window's name.
        var detail = ""
    }

    let counts: FigureCache<Scope, [String: Int]>
    let stats: FigureCache<Scope, TaskStats>
    let offers: FigureCache<Scope, [TaskSuggestion]>
    let agentLines: FigureCache<Scope, [AgentStats]>
    /// Every task's figure columns, from which the stat cards and the agents' table are counted in the
    /// process while it runs (a service of its own) and is current.
    public let table: TaskFigureTable

    public init(feed: TaskChangeFeed, client: PostgresClient, metrics: ServiceMetrics? = nil, logger: Logger) {
        table = TaskFigureTable(feed: feed, client: client, metrics: metrics, logger: logger)
        counts = FigureCache(feed: feed, client: client, logger: logger)
        stats = FigureCache(feed: feed, client: client, logger: logger)
        offers = FigureCache(feed: feed, client: client, logger: logger)
        agentLines = FigureCache(feed: feed, client: client, logger: logger)
    }
}
