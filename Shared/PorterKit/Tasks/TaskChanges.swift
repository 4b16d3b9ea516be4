import Foundation
import Logging
import PostgresNIO
import Prometheus
import ServiceLifecycle
import Synchronization

/// What the database announces on `porter_task_changes` (migration 12): a task's new list line, or a
/// new event on a task.
public enum TaskChange: Sendable, Equatable {
    /// `seq` is the task's change number; `repositoryID` and `requesterID` decide who may see it.
    case task(seq: Int64, repositoryID: Int64, requesterID: Int64, summary: TaskSummary)
    case event(id: Int64, taskID: UUID)

    public static let channel = "porter_task_changes"

    public var taskID: UUID? {
        switch self {
        case .task(_, _, _, let summary): UUID(uuidString: summary.id)
        case .event(_, let taskID): taskID
        }
    }

    /// Reads a notification's payload; nil for anything this build does not understand.
    public init?(payload: String) {
        struct Wire: Decodable {
            var seq: Int64?
            var event: Int64?
            var id: UUID
            var repositoryID: Int64?
            var requesterID: Int64?
            var repository: String?
            var issueNumber: Int?
            var issueTitle: String?
            var requester: String?
            var agent: String?
            var model: String?
            var status: String?
            var statusReason: String?
            var phase: String?
            var branch: String?
            var pullRequestURL: String?
            var createdAt: Double?
            var startedAt: Double?
            var finishedAt: Double?
        }
        guard let wire = try? JSONDecoder().decode(Wire.self, from: Data(payload.utf8)) else { return nil }
        if let event = wire.event {
            self = .event(id: event, taskID: wire.id)
            return
        }
        guard let seq = wire.seq, let repositoryID = wire.repositoryID, let requesterID = wire.requesterID,
            let repository = wire.repository, let issueNumber = wire.issueNumber, let requester = wire.requester,
            let agent = wire.agent, let status = wire.status, let createdAt = wire.createdAt
        else { return nil }
        self = .task(
            seq: seq, repositoryID: repositoryID, requesterID: requesterID,
            summary: TaskSummary(
                id: wire.id.uuidString.lowercased(), repository: repository, issueNumber: issueNumber,
                issueTitle: wire.issueTitle, requester: requester, agent: agent, model: wire.model, status: status,
                statusReason: wire.statusReason, phase: wire.phase, branch: wire.branch,
                pullRequestURL: wire.pullRequestURL, createdAt: Date(timeIntervalSince1970: createdAt),
                startedAt: wire.startedAt.map(Date.init(timeIntervalSince1970:)),
                finishedAt: wire.finishedAt.map(Date.init(timeIntervalSince1970:))))
    }
}

/// Fans the database's task announcements out to every open page in this process over one
/// `LISTEN` connection, however many pages watch.
///
/// Each watcher has a small buffer and says which changes it wants. A watcher that falls behind (a
/// browser that stopped reading) loses its buffer rather than growing it, and is told so; so is every
/// watcher when the listening connection drops, since announcements are not stored. A watcher told
/// it missed something reads what changed from the database (`TaskChangeStore`), so nothing is lost.
public final class TaskChangeFeed: Service, Sendable {
    /// What a watcher receives.
    public enum Delivery: Sendable, Equatable {
        case change(TaskChange)
        /// Announcements may have been missed since the last delivery: read the database.
        case missed
        /// Sent to every watcher every heartbeat: time to show the connection is alive, and to look
        /// again at what the person may see.
        case tick
    }

    /// One watcher's end.
    public final class Watcher: Sendable {
        public let deliveries: AsyncStream<Delivery>
        fileprivate let continuation: AsyncStream<Delivery>.Continuation
        /// Kept in a box: a bare function type in the mutex is re-abstracted on every access.
        fileprivate struct Wants: Sendable {
            let accepts: @Sendable (TaskChange) -> Bool
        }
        fileprivate let wants: Mutex<Wants>
        /// An open page, which the metrics count; not this process's own follower (the figure table).
        fileprivate let isPage: Bool

        fileprivate init(buffer: Int, isPage: Bool, wants: @escaping @Sendable (TaskChange) -> Bool) {
            self.isPage = isPage
            // The oldest deliveries go first when the buffer is full; `offer` says so with `.missed`.
            (deliveries, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(buffer))
            self.wants = Mutex(Wants(accepts: wants))
        }

        /// Ends the deliveries: the watcher's reader finishes what it holds and stops.
        public func close() { continuation.finish() }

        /// Changes which changes this watcher wants, as what a person may see changes.
        public func want(_ wants: @escaping @Sendable (TaskChange) -> Bool) {
            self.wants.withLock { $0 = Wants(accepts: wants) }
        }

        fileprivate func offer(_ change: TaskChange) {
            let wants = self.wants.withLock { $0 }
            guard wants.accepts(change) else { return }
            deliver(.change(change))
        }

        fileprivate func deliver(_ delivery: Delivery) {
            if case .dropped = continuation.yield(delivery) {
                // A full buffer dropped its oldest; the newest slot now says something was lost.
                continuation.yield(.missed)
            }
        }
    }

    private let client: PostgresClient
    private let heartbeat: Duration
    private let logger: Logger
    private let watchers = Mutex<[ObjectIdentifier: Watcher]>([:])
    private let listening = Mutex(false)
    /// Counts the task changes announced (and the gaps in which some may have been missed).
    private let taskChanges = Mutex<UInt64>(0)
    private let open: Gauge?

    public init(
        client: PostgresClient, heartbeat: Duration = .seconds(15), metrics: ServiceMetrics? = nil, logger: Logger
    ) {
        self.client = client
        self.heartbeat = heartbeat
        self.logger = logger
        open = metrics?.gauge("live", unit: "streams", help: "Pages following task changes.")
    }

    /// How many pages watch now.
    public var watcherCount: Int { watchers.withLock { Self.pages(in: $0) } }

    private static func pages(in watchers: [ObjectIdentifier: Watcher]) -> Int {
        watchers.values.count { $0.isPage }
    }

    /// Whether the listening connection is up: a watcher that starts while it is not may miss changes.
    public var isListening: Bool { listening.withLock { $0 } }

    /// A number that moves whenever a task's list line changes or changes may have been missed; nil
    /// while not listening, when nothing can be said. Task figures read while it holds one value
    /// (`FigureCache`) are still current, to within the announcements' own delay.
    public var generation: UInt64? {
        guard isListening else { return nil }
        return taskChanges.withLock { $0 }
    }

    /// Runs `body` with a watcher that receives the changes `wants` accepts, until `body` returns.
    /// - Parameter isPage: whether the watcher is an open page, counted by `watcherCount` and the
    ///   metrics; false for the process's own followers.
    public func watch<Result: Sendable>(
        buffer: Int = 256, isPage: Bool = true, wants: @escaping @Sendable (TaskChange) -> Bool,
        _ body: (Watcher) async throws -> Result
    ) async rethrows -> Result {
        let watcher = Watcher(buffer: buffer, isPage: isPage, wants: wants)
        let key = ObjectIdentifier(watcher)
        let count = watchers.withLock { watchers in
            watchers[key] = watcher
            return Self.pages(in: watchers)
        }
        open?.set(to: Double(count))
        defer {
            let count = watchers.withLock { watchers in
                watchers.removeValue(forKey: key)
                return Self.pages(in: watchers)
            }
            open?.set(to: Double(count))
            watcher.continuation.finish()
        }
        return try await body(watcher)
    }

    public func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.listen() }
            group.addTask {
                while (try? await Task.sleep(for: self.heartbeat)) != nil { self.broadcast(.tick) }
            }
            try? await gracefulShutdown()
            group.cancelAll()
        }
        // Open pages end their streams, so the server's shutdown does not wait on them.
        let all = watchers.withLock { $0.values }
        for watcher in all { watcher.continuation.finish() }
    }

    private func broadcast(_ delivery: Delivery) {
        switch delivery {
        case .change(.task), .missed: taskChanges.withLock { $0 &+= 1 }
        case .change(.event), .tick: break
        }
        let all = watchers.withLock { Array($0.values) }
        switch delivery {
        case .change(let change): for watcher in all { watcher.offer(change) }
        case .missed, .tick: for watcher in all { watcher.deliver(delivery) }
        }
    }

    private func listen() async {
        await client.listenUntilCancelled(
            on: TaskChange.channel, lost: "task announcements lost; reconnecting", logger: logger,
            listening: { [self] holds in
                // Whatever was announced while nobody listened is in the database. Said before
                // `isListening` turns true, so `generation` never repeats a value from before a gap.
                if holds { broadcast(.missed) }
                listening.withLock { $0 = holds }
            },
            notification: { [self] notification in
                guard let change = TaskChange(payload: notification.payload) else {
                    logger.debug("unreadable task announcement", metadata: ["payload": "\(notification.payload)"])
                    return
                }
                broadcast(.change(change))
            })
    }
}

/// One line of a task's log as the task page streams it: a stored event, with the output lines a
/// progress report carried.
public struct TaskEventLine: Sendable, Equatable, Encodable {
    public var id: Int64
    public var attempt: Int?
    public var kind: String
    public var message: String
    public var lines: [String]
    public var createdAt: Date
}

/// What changed since a number a page last saw, for pages that reconnect or missed announcements.
public struct TaskChangeStore: Sendable {
    let client: PostgresClient
    let logger: Logger

    /// Announcements from transactions still open when a page took its number can carry smaller
    /// numbers than it; reading this many numbers back covers them (pages ignore what they have).
    public static let overlap: Int64 = 64

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// The newest change number: where a page rendered now starts listening.
    public func latest() async throws -> Int64 {
        let rows = try await client.query("SELECT coalesce(max(change_seq), 0) FROM tasks", logger: logger)
        for try await seq in rows.decode(Int64.self) { return seq }
        return 0
    }

    /// Visible tasks changed after `seq`, oldest change first, at most `limit`.
    public func changes(
        userID: Int64, repositories: [Int64], after seq: Int64, limit: Int
    ) async throws -> [(seq: Int64, summary: TaskSummary)] {
        var sql = try PostgresTaskListStore.Conditions(userID: userID, repositories: repositories, filter: TaskFilter())
        let since = try sql.bind(seq)
        let count = try sql.bind(limit)
        let query = PostgresQuery(
            unsafeSQL: """
                SELECT \(PostgresTaskListStore.summaryColumns), change_seq FROM tasks
                WHERE change_seq > \(since) AND \(sql.text)
                ORDER BY change_seq LIMIT \(count)
                """, binds: sql.binds)
        var changes: [(Int64, TaskSummary)] = []
        for try await row in try await client.query(query, logger: logger) {
            let summary = try PostgresTaskListStore.summary(from: row)
            let columns = row.makeRandomAccess()
            changes.append((try columns[PostgresTaskListStore.summaryColumnCount].decode(Int64.self), summary))
        }
        return changes
    }

    /// One task's list line and change number, whoever may see it: callers check access first.
    public func task(_ id: UUID) async throws -> (seq: Int64, summary: TaskSummary)? {
        let query: PostgresQuery = """
            SELECT \(unescaped: PostgresTaskListStore.summaryColumns), change_seq FROM tasks WHERE id = \(id)
            """
        for try await row in try await client.query(query, logger: logger) {
            let columns = row.makeRandomAccess()
            return (
                try columns[PostgresTaskListStore.summaryColumnCount].decode(Int64.self),
                try PostgresTaskListStore.summary(from: row)
            )
        }
        return nil
    }

    /// The task's events after `eventID`, oldest first, at most `limit`.
    public func events(of taskID: UUID, after eventID: Int64, limit: Int) async throws -> [TaskEventLine] {
        let rows = try await client.query(
            """
            SELECT id, attempt, kind, message, coalesce(data -> 'lines', '[]')::text, created_at FROM task_events
            WHERE task_id = \(taskID) AND id > \(eventID) ORDER BY id LIMIT \(limit)
            """, logger: logger)
        var events: [TaskEventLine] = []
        for try await (id, attempt, kind, message, lines, createdAt) in rows.decode(
            (Int64, Int?, String, String, String, Date).self)
        {
            let decoded = (try? JSONDecoder().decode([String].self, from: Data(lines.utf8))) ?? []
            events.append(
                TaskEventLine(
                    id: id, attempt: attempt, kind: kind, message: message, lines: decoded, createdAt: createdAt))
        }
        return events
    }

    /// The id of the task's newest event, 0 when it has none.
    public func latestEvent(of taskID: UUID) async throws -> Int64 {
        let rows = try await client.query(
            "SELECT coalesce(max(id), 0) FROM task_events WHERE task_id = \(taskID)", logger: logger)
        for try await id in rows.decode(Int64.self) { return id }
        return 0
    }
}
