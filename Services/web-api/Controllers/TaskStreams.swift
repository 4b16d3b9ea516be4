import Foundation
import Hummingbird
import PorterKit
import ServiceLifecycle

/// Live pages: `GET /api/tasks/stream` (every visible task's list line as it changes) and
/// `GET /api/tasks/:id/stream` (one task's line and its new events with their output lines), as
/// Server-Sent Events fed by the process's one `LISTEN` connection.
///
/// Every event carries an id; a browser that reconnects sends the last one back (`Last-Event-ID`)
/// and is sent what changed since from the database, as is a page that fell behind or whose
/// announcements were lost. A stream ends after `lifetime`, so a reconnect checks the session and
/// what the person may see again.
struct TaskStreams {
    let feed: TaskChangeFeed
    let changes: TaskChangeStore
    let visibility: TaskVisibility
    let tasks: TasksController
    var lifetime: Duration = .seconds(300)
    /// A page this far behind is told to reload rather than sent every change.
    var replayLimit = 1000

    /// A feed event: the change number and the task's line.
    struct FeedChange: Encodable {
        var seq: Int64
        var task: TaskSummary
    }

    func add(to router: Router<WebContext>) {
        router.get("/api/tasks/stream") { request, context in
            let user = try context.requireUser()
            let resume = try Self.feedPosition(EventStream.lastEventID(request))
            let repositories = try await visibility.repositories(of: user)
            return EventStream.response { writer in
                try await feedStream(user: user, repositories: repositories, resume: resume, writer: &writer)
            }
        }
        router.get("/api/tasks/:id/stream") { request, context in
            let user = try context.requireUser()
            let resume = try Self.taskPosition(EventStream.lastEventID(request))
            let (overview, _) = try await tasks.visible(context, user: user)
            return EventStream.response { writer in
                try await taskStream(overview.task.id, resume: resume, writer: &writer)
            }
        }
    }

    static func wants(userID: Int64, repositories: [Int64]) -> @Sendable (TaskChange) -> Bool {
        let reachable = Set(repositories)
        return { change in
            guard case .task(_, let repository, let requester, _) = change else { return false }
            return requester == userID || reachable.contains(repository)
        }
    }

    func feedStream(
        user: SignedInUser, repositories: [Int64], resume: Int64?, writer: inout EventStream.Writer
    ) async throws {
        let ends = ContinuousClock.now + lifetime
        try await feed.watch(wants: Self.wants(userID: user.id, repositories: repositories)) { watcher in
            try await withGracefulShutdownHandler {
                var repositories = repositories
                // Watching starts before the first read, so nothing falls between the two.
                var last: Int64
                if let resume {
                    last = try await replayFeed(after: resume, user, repositories, &writer)
                } else {
                    last = try await changes.latest()
                }
                for await delivery in watcher.deliveries {
                    switch delivery {
                    case .change(.task(let seq, _, _, let summary)):
                        last = max(last, seq)
                        try await writer.send(event: "task", id: "\(last)", json: FeedChange(seq: seq, task: summary))
                    case .change(.event):
                        break
                    case .missed:
                        last = try await replayFeed(after: last, user, repositories, &writer)
                    case .tick:
                        guard ContinuousClock.now < ends else { return }
                        try await writer.ping()
                        // Repositories come and go with installations; a failed look keeps the last answer.
                        if let current = try? await visibility.repositories(of: user), current != repositories {
                            repositories = current
                            watcher.want(Self.wants(userID: user.id, repositories: current))
                        }
                    }
                }
            } onGracefulShutdown: {
                watcher.close()
            }
        }
    }

    /// Sends what changed after `seq` (less the overlap that covers transactions still open when it
    /// was taken), and returns the newest number sent; a page too far behind is told to reload.
    func replayFeed(
        after seq: Int64, _ user: SignedInUser, _ repositories: [Int64], _ writer: inout EventStream.Writer
    ) async throws -> Int64 {
        var cursor = max(0, seq - TaskChangeStore.overlap)
        var newest = seq
        var sent = 0
        while true {
            let page = try await changes.changes(
                userID: user.id, repositories: repositories, after: cursor, limit: 200)
            for (changeSeq, summary) in page {
                cursor = changeSeq
                newest = max(newest, changeSeq)
                try await writer.send(
                    event: "task", id: "\(newest)", json: FeedChange(seq: changeSeq, task: summary))
            }
            sent += page.count
            if page.count < 200 { return newest }
            if sent >= replayLimit {
                let latest = try await changes.latest()
                try await writer.send(event: "reset", id: "\(latest)", data: "{}")
                return latest
            }
        }
    }

    func taskStream(_ id: UUID, resume: TaskPosition?, writer: inout EventStream.Writer) async throws {
        let ends = ContinuousClock.now + lifetime
        try await feed.watch(wants: { $0.taskID == id }) { watcher in
            try await withGracefulShutdownHandler {
                var position: TaskPosition
                if let resume {
                    position = resume
                    try await catchUp(id, &position, &writer)
                } else {
                    position = TaskPosition(
                        seq: try await changes.task(id)?.seq ?? 0, event: try await changes.latestEvent(of: id))
                }
                for await delivery in watcher.deliveries {
                    switch delivery {
                    case .change(.task(let seq, _, _, let summary)):
                        guard seq > position.seq else { continue }
                        position.seq = seq
                        try await writer.send(event: "task", id: position.id, json: FeedChange(seq: seq, task: summary))
                    case .change(.event), .missed:
                        try await catchUp(id, &position, &writer)
                    case .tick:
                        guard ContinuousClock.now < ends else { return }
                        try await writer.ping()
                    }
                }
            } onGracefulShutdown: {
                watcher.close()
            }
        }
    }

    /// Sends the task's line if it changed after the position, then every event after it.
    func catchUp(_ id: UUID, _ position: inout TaskPosition, _ writer: inout EventStream.Writer) async throws {
        if let (seq, summary) = try await changes.task(id), seq > position.seq {
            position.seq = seq
            try await writer.send(event: "task", id: position.id, json: FeedChange(seq: seq, task: summary))
        }
        while true {
            let events = try await changes.events(of: id, after: position.event, limit: 200)
            for event in events {
                position.event = event.id
                try await writer.send(event: "log", id: position.id, json: event)
            }
            if events.count < 200 { return }
        }
    }

    /// Where a task page is: its task's change number and its newest event, written `seq-event`.
    struct TaskPosition: Equatable {
        var seq: Int64
        var event: Int64

        var id: String { "\(seq)-\(event)" }
    }

    static func feedPosition(_ text: String?) throws(WebError) -> Int64? {
        guard let text else { return nil }
        guard let seq = Int64(text), seq >= 0 else {
            throw .badRequest("The last event id is not one this stream sent.", code: "invalid_event_id")
        }
        return seq
    }

    static func taskPosition(_ text: String?) throws(WebError) -> TaskPosition? {
        guard let text else { return nil }
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let seq = Int64(parts[0]), let event = Int64(parts[1]), seq >= 0, event >= 0 else {
            throw .badRequest("The last event id is not one this stream sent.", code: "invalid_event_id")
        }
        return TaskPosition(seq: seq, event: event)
    }
}
