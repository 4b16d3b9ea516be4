import Foundation
import Logging
import PostgresNIO
import Prometheus
import ServiceLifecycle
import Synchronization

/// Every task's figure columns (who may see it, when it was created, agent, model, status, outcome,
/// duration and pull request), held in this process and kept current from the change feed, so that
/// figures over a whole visible history (the history's stat cards, the agents' table) are counted here
/// in a few milliseconds instead of read from tens of thousands of index entries for every answer.
///
/// The table is loaded once its watcher is in place, so a change is either in what was loaded or
/// announced after it. An announced change marks its task; the next answer first reads the marked
/// tasks again, with every task whose change number is above the newest one known (which catches a
/// change committed just before the answer, ahead of its announcement). When announcements may have
/// been lost (the listening connection dropped, or this watcher fell behind) the table is loaded anew,
/// and until it is, `snapshot()` gives nil and figures are read from the database as before.
///
/// Figures counted here are the same as the database's, to the last bit: the same sets of tasks, and
/// percentiles interpolated as `percentile_cont` does. A filter on branch, issue or title words is
/// left to the database, whose indexes serve those.
///
/// Memory: about 100 bytes a task, 10 MB for 100,000 tasks.
public final class TaskFigureTable: Service, Sendable {
    private struct State {
        /// Nil until the first load.
        var table: Table?
        /// Announcements may have been missed since `table` was loaded: answers wait for a new load.
        var stale = true
        var watching = false
        /// Tasks announced as changed and not yet read again, with the change number announced.
        var pending: [UUID: Int64] = [:]
    }

    private let feed: TaskChangeFeed
    private let client: PostgresClient
    private let logger: Logger
    private let state = Mutex(State())
    private let size: Gauge?

    public init(feed: TaskChangeFeed, client: PostgresClient, metrics: ServiceMetrics? = nil, logger: Logger) {
        self.feed = feed
        self.client = client
        self.logger = logger
        size = metrics?.gauge(
            "figure_table", unit: "tasks",
            help: "Tasks in the table the stat cards and agents' table are counted from; 0 until it is loaded.")
    }

    /// Whether the table is loaded and following the feed, so `snapshot()` can answer.
    public var isCurrent: Bool {
        feed.isListening && state.withLock { $0.watching && !$0.stale && $0.table != nil }
    }

    public func run() async throws {
        await feed.watch(
            buffer: 16_384, isPage: false, wants: { change in if case .task = change { true } else { false } }
        ) {
            watcher in
            state.withLock { $0.watching = true }
            defer {
                state.withLock { $0 = State() }
                size?.set(to: 0)
            }
            // A feed not listening yet says `.missed` when it starts (or, had it said so just before this
            // watcher came, the table is stale at the next heartbeat): loading now would be loading twice.
            if feed.isListening { await load() }
            for await delivery in watcher.deliveries.cancelOnGracefulShutdown() {
                switch delivery {
                case .change(.task(let seq, _, _, let summary)):
                    guard let id = UUID(uuidString: summary.id) else { continue }
                    state.withLock { $0.pending[id] = max($0.pending[id] ?? seq, seq) }
                case .missed:
                    state.withLock { $0.stale = true }
                    await load()
                case .tick:
                    // A load that failed (the database was away) is tried again at each heartbeat.
                    if state.withLock({ $0.stale }) { await load() }
                case .change(.event):
                    break
                }
            }
        }
    }

    /// The table with every change committed before this call (to within an announcement's delay for
    /// one committed out of its number's order); nil while it is not loaded or may have missed changes.
    public func snapshot() async throws -> Table? {
        guard feed.isListening else { return nil }
        let known = state.withLock { state -> (newest: Int64, pending: [UUID])? in
            guard state.watching, !state.stale, let table = state.table else { return nil }
            return (table.newest, Array(state.pending.keys))
        }
        guard let known else { return nil }
        var rows: [Row] = []
        try await read(after: known.newest, tasks: known.pending) { rows.append($0) }
        return state.withLock { state in
            guard !state.stale, var table = state.table else { return nil }
            if rows.isEmpty && known.pending.isEmpty { return table }
            // Taken out while it changes, so a table no answer is reading changes in place.
            state.table = nil
            for row in rows { table.apply(row) }
            state.pending = table.unread(state.pending)
            state.table = table
            size?.set(to: Double(table.count))
            return table
        }
    }

    private func load() async {
        let began = ContinuousClock.now
        do {
            var table = Table()
            // Applied as they arrive: a copy of every row would double what a load holds at its peak.
            try await read(after: nil, tasks: []) { table.apply($0) }
            let count = table.count
            size?.set(to: Double(count))
            state.withLock { state in
                // What answers read in meanwhile may be newer than what the load saw.
                if let kept = state.table { table.merge(newer: kept) }
                state.pending = table.unread(state.pending)
                state.table = table
                state.stale = false
            }
            logger.debug(
                "task figures loaded",
                metadata: ["tasks": "\(count)", "milliseconds": "\((ContinuousClock.now - began).milliseconds)"])
        } catch {
            logger.warning(
                "task figures not loaded; the database answers them meanwhile", metadata: ["error": "\(error)"])
        }
    }

    /// Every task (`after` nil), or those changed after the change number `after` and those in `tasks`.
    private func read(after seq: Int64?, tasks: [UUID], _ body: (Row) -> Void) async throws {
        let columns = """
            SELECT id, change_seq, repository_id, requester_id,
                ((extract(epoch FROM created_at) - 946684800) * 1000000)::bigint, duration_seconds, agent, model,
                repository_full_name, status, outcome, pull_request_number IS NOT NULL,
                coalesce(pull_request_state = 'merged', false), rejected_at IS NOT NULL
            FROM tasks
            """
        let query: PostgresQuery =
            if let seq {
                "\(unescaped: columns) WHERE change_seq > \(seq) OR id = ANY(\(tasks))"
            } else {
                "\(unescaped: columns)"
            }
        for try await row in try await client.query(query, logger: logger) {
            let cells = row.makeRandomAccess()
            body(
                Row(
                    id: try cells[0].decode(UUID.self), seq: try cells[1].decode(Int64.self),
                    repositoryID: try cells[2].decode(Int64.self), requesterID: try cells[3].decode(Int64.self),
                    created: try cells[4].decode(Int64.self), duration: try cells[5].decode(Double?.self),
                    agent: try cells[6].decode(String.self), model: try cells[7].decode(String?.self),
                    repository: try cells[8].decode(String.self), status: try cells[9].decode(String.self),
                    outcome: try cells[10].decode(Int16?.self), opened: try cells[11].decode(Bool.self),
                    merged: try cells[12].decode(Bool.self), rejected: try cells[13].decode(Bool.self)))
        }
    }

    /// One task as read from the database.
    struct Row {
        var id: UUID
        var seq: Int64
        var repositoryID: Int64
        var requesterID: Int64
        /// `created_at` in microseconds since 2000-01-01, PostgreSQL's own count.
        var created: Int64
        var duration: Double?
        var agent: String
        var model: String?
        var repository: String
        var status: String
        var outcome: Int16?
        var opened: Bool
        var merged: Bool
        var rejected: Bool
    }

    /// The figure columns of every task, as one answer counts them.
    public struct Table: Sendable {
        struct Line {
            var seq: Int64
            var requesterID: Int64
            var created: Int64
            /// NaN while the task has not ended.
            var duration: Double
            /// The number of its repository id in `repositories`.
            var repository: UInt32
            /// Indexes in `names`: the repository's full name in lower case, the agent and the model
            /// (0 for none).
            var repositoryName: UInt32
            var agent: UInt32
            var model: UInt32
            /// `TaskStatus.allCases` index.
            var status: UInt8
            /// `tasks.outcome`: 0 while not ended, 1 succeeded, 2 failed, 3 timed out, 4 cancelled.
            var outcome: UInt8
            var flags: UInt8

            static let opened: UInt8 = 1
            static let merged: UInt8 = 2
            static let rejected: UInt8 = 4
        }

        /// Values by a small number, and back: each distinct value once, however many tasks name it.
        struct Interned<Value: Hashable & Sendable>: Sendable {
            private(set) var values: [Value]
            private var numbers: [Value: UInt32]

            init(_ first: [Value] = []) {
                values = first
                numbers = Dictionary(uniqueKeysWithValues: first.enumerated().map { ($1, UInt32($0)) })
            }

            subscript(number: UInt32) -> Value { values[Int(number)] }

            func number(of value: Value) -> UInt32? { numbers[value] }

            mutating func number(for value: Value) -> UInt32 {
                if let number = numbers[value] { return number }
                let number = UInt32(values.count)
                values.append(value)
                numbers[value] = number
                return number
            }
        }

        var lines: [Line] = []
        var positions: [UUID: Int] = [:]
        /// Repository ids by slot.
        var repositories = Interned<Int64>()
        /// Names (0 is none).
        var names = Interned([""])
        /// The newest change number read.
        var newest: Int64 = 0

        /// How many tasks the table holds.
        public var count: Int { lines.count }

        func seq(of id: UUID) -> Int64? { positions[id].map { lines[$0].seq } }

        /// The announced changes (task → change number) this table does not hold yet.
        func unread(_ announced: [UUID: Int64]) -> [UUID: Int64] {
            announced.filter { id, seq in self.seq(of: id).map { $0 < seq } ?? true }
        }

        mutating func apply(_ row: Row) {
            newest = max(newest, row.seq)
            if let position = positions[row.id], lines[position].seq >= row.seq { return }
            let line = Line(
                seq: row.seq, requesterID: row.requesterID, created: row.created, duration: row.duration ?? .nan,
                repository: repositories.number(for: row.repositoryID),
                repositoryName: names.number(for: row.repository.lowercased()), agent: names.number(for: row.agent),
                model: row.model.map { names.number(for: $0) } ?? 0,
                status: UInt8(
                    TaskStatus(rawValue: row.status).flatMap { TaskStatus.allCases.firstIndex(of: $0) } ?? 255),
                outcome: UInt8(clamping: row.outcome ?? 0),
                flags: (row.opened ? Line.opened : 0) | (row.merged ? Line.merged : 0)
                    | (row.rejected ? Line.rejected : 0))
            if let position = positions[row.id] {
                lines[position] = line
            } else {
                positions[row.id] = lines.count
                lines.append(line)
            }
        }

        /// Takes from `other` each task it holds in a newer state.
        mutating func merge(newer other: Table) {
            newest = max(newest, other.newest)
            for (id, position) in other.positions {
                let line = other.lines[position]
                if let mine = seq(of: id), mine >= line.seq { continue }
                apply(
                    Row(
                        id: id, seq: line.seq, repositoryID: other.repositories[line.repository],
                        requesterID: line.requesterID, created: line.created,
                        duration: line.duration.isNaN ? nil : line.duration, agent: other.names[line.agent],
                        model: line.model == 0 ? nil : other.names[line.model],
                        repository: other.names[line.repositoryName],
                        status: Int(line.status) < TaskStatus.allCases.count
                            ? TaskStatus.allCases[Int(line.status)].rawValue : "",
                        outcome: line.outcome == 0 ? nil : Int16(line.outcome),
                        opened: line.flags & Line.opened != 0, merged: line.flags & Line.merged != 0,
                        rejected: line.flags & Line.rejected != 0))
            }
        }

        /// Whether `filter` can be counted here: all but branch, issue and title words, which the
        /// database's indexes serve.
        public static func counts(_ filter: TaskFilter) -> Bool {
            filter.branch == nil && filter.issueNumber == nil
                && (filter.search?.trimmingCharacters(in: .whitespaces).isEmpty ?? true)
        }

        /// Calls `body` with each task the person with `userID`, reaching `repositories`, may see and
        /// `filter` takes in: the conditions of `PostgresTaskListStore.Conditions`.
        func forEachVisible(
            userID: Int64, repositories reached: [Int64], filter: TaskFilter, _ body: (Line) -> Void
        ) {
            var visible = [Bool](repeating: false, count: repositories.values.count)
            for id in reached { if let slot = repositories.number(of: id) { visible[Int(slot)] = true } }
            let from = filter.from.map(Self.microseconds)
            let to = filter.to.map(Self.microseconds)
            // An agent or repository no task names matches nothing: an index no line has.
            let agent = filter.agent.map { names.number(of: $0.rawValue) ?? .max }
            let repository = filter.repository.map { names.number(of: $0.lowercased()) ?? .max }
            var statuses: UInt32 = 0
            for status in filter.statuses {
                if let index = TaskStatus.allCases.firstIndex(of: status) { statuses |= 1 << index }
            }
            let anyStatus = filter.statuses.isEmpty
            for line in lines {
                guard visible[Int(line.repository)] || line.requesterID == userID else { continue }
                if let from, line.created < from { continue }
                if let to, line.created >= to { continue }
                if let agent, line.agent != agent { continue }
                if let repository, line.repositoryName != repository { continue }
                if !anyStatus, line.status >= 32 || statuses & (1 << UInt32(line.status)) == 0 { continue }
                body(line)
            }
        }

        /// As PostgreSQL binds a `Date`: whole microseconds since 2000-01-01, cut toward zero.
        static func microseconds(_ date: Date) -> Int64 {
            Int64(date.timeIntervalSince(Date(timeIntervalSince1970: 946_684_800)) * 1_000_000)
        }

        /// The stat cards, as `PostgresTaskListStore.stats` reads them; nil for a filter left to the
        /// database.
        public func stats(userID: Int64, repositories: [Int64], filter: TaskFilter) -> TaskStats? {
            guard Self.counts(filter) else { return nil }
            var total = 0
            var finished = 0
            var succeeded = 0
            var opened = 0
            var durations: [Double] = []
            forEachVisible(userID: userID, repositories: repositories, filter: filter) { line in
                total += 1
                if line.flags & Line.opened != 0 { opened += 1 }
                guard line.outcome != 0 else { return }
                finished += 1
                if line.outcome == 1 { succeeded += 1 }
                if !line.duration.isNaN { durations.append(line.duration) }
            }
            let percentiles = Self.percentiles(of: &durations)
            return TaskStats(
                tasks: total, finished: finished, succeeded: succeeded, medianDurationSeconds: percentiles?.median,
                p90DurationSeconds: percentiles?.p90, pullRequestsOpened: opened)
        }

        /// How many visible tasks `filter` takes in are in each status (every status named, 0 for none):
        /// the history's totals, as `PostgresTaskListStore.counts` reads them.
        public func statusCounts(userID: Int64, repositories: [Int64], filter: TaskFilter) -> [String: Int] {
            var counts = [Int](repeating: 0, count: TaskStatus.allCases.count)
            forEachVisible(userID: userID, repositories: repositories, filter: filter) { line in
                if Int(line.status) < counts.count { counts[Int(line.status)] += 1 }
            }
            return Dictionary(uniqueKeysWithValues: zip(TaskStatus.allCases.map(\.rawValue), counts))
        }

        /// The agents' table, as `PostgresAgentStatsStore` reads it: one line per agent and model with a
        /// visible task created at or after `since`, the most used first.
        public func agentLines(userID: Int64, repositories: [Int64], since: Date?) -> [AgentStats] {
            struct Key: Hashable {
                var agent: UInt32
                var model: UInt32
            }
            struct Sums {
                var runs = 0
                var succeeded = 0
                var failed = 0
                var cancelled = 0
                var finished = 0
                var opened = 0
                var merged = 0
                var rejected = 0
                var durations: [Double] = []

                mutating func add(_ line: Line) {
                    runs += 1
                    if line.flags & Line.opened != 0 { opened += 1 }
                    if line.flags & Line.merged != 0 { merged += 1 }
                    if line.flags & Line.rejected != 0 { rejected += 1 }
                    switch line.outcome {
                    case 0: return
                    case 1: succeeded += 1
                    case 2, 3: failed += 1
                    case 4: cancelled += 1
                    default: break
                    }
                    finished += 1
                    if !line.duration.isNaN { durations.append(line.duration) }
                }
            }
            var filter = TaskFilter()
            filter.from = since
            var sums: [Key: Sums] = [:]
            forEachVisible(userID: userID, repositories: repositories, filter: filter) { line in
                sums[Key(agent: line.agent, model: line.model), default: Sums()].add(line)
            }
            var result: [AgentStats] = []
            for (key, sum) in sums {
                var durations = sum.durations
                let percentiles = Self.percentiles(of: &durations)
                result.append(
                    AgentStats(
                        agent: names[key.agent], model: key.model == 0 ? nil : names[key.model],
                        runs: sum.runs, succeeded: sum.succeeded, failed: sum.failed, cancelled: sum.cancelled,
                        finished: sum.finished,
                        successRate: sum.finished == 0 ? nil : Double(sum.succeeded) / Double(sum.finished),
                        medianDurationSeconds: percentiles?.median, p90DurationSeconds: percentiles?.p90,
                        pullRequestsOpened: sum.opened, pullRequestsMerged: sum.merged,
                        pullRequestsRejected: sum.rejected))
            }
            // As the database orders them: most runs first, then by agent, then model with none first.
            return result.sorted { a, b in
                if a.runs != b.runs { return a.runs > b.runs }
                if a.agent != b.agent { return a.agent < b.agent }
                switch (a.model, b.model) {
                case (nil, nil): return false
                case (nil, _): return true
                case (_, nil): return false
                case (let x?, let y?): return x < y
                }
            }
        }

        /// The median and 90th percentile as `percentile_cont(ARRAY[0.5, 0.9])` takes them: between the
        /// two values around the rank `p × (n − 1)`, in proportion; nil for no values. Sorts `values`.
        static func percentiles(of values: inout [Double]) -> (median: Double, p90: Double)? {
            guard !values.isEmpty else { return nil }
            values.sort()
            func at(_ percentile: Double) -> Double {
                let rank = percentile * Double(values.count - 1)
                let first = rank.rounded(.down)
                let second = rank.rounded(.up)
                let low = values[Int(first)]
                guard second != first else { return low }
                let high = values[Int(second)]
                return low + (high - low) * (rank - first)
            }
            return (at(0.5), at(0.9))
        }
    }
}
