import Foundation
import HTTPTypes
import PorterKit
import PorterTestSupport
import PostgresNIO
import Synchronization
import Testing

@testable import WebAPI

/// The dashboard and the live streams: changes from any service reach open pages, only for people
/// who may see them; a reconnect loses nothing; a page that stops reading costs nothing; many pages
/// share one database connection.
@Suite(.serialized, .timeLimit(.minutes(4))) struct WebLiveTests {
    func create(
        _ world: WebWorld, repository: (id: Int, installation: Int, name: String)? = nil, number: Int,
        requester: String, title: String
    ) async throws -> UUID {
        let repository = repository ?? (world.repositoryID, world.installationID, "acme/widgets")
        let created = try await PostgresTaskRepository(client: world.database, logger: TestDatabase.logger).create(
            NewTask(
                issue: IssueReference(
                    installationID: Int64(repository.installation), repositoryID: Int64(repository.id),
                    repositoryFullName: repository.name, number: number),
                requester: Requester(id: Int64(world.github.addUser(requester)), login: requester),
                request: TaskRequest(agent: .claude, model: "sonnet", instructions: "do it")))
        try await world.database.query("UPDATE tasks SET issue_title = \(title) WHERE id = \(created.id)")
        return created.id
    }

    func transition(_ world: WebWorld, _ id: UUID, to status: TaskStatus) async throws {
        _ = try await PostgresTaskRepository(client: world.database, logger: TestDatabase.logger).transition(
            id: id, to: status, reason: nil)
    }

    func cookie(_ browser: Browser) -> String {
        browser.cookies.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "; ")
    }

    func port(_ world: WebWorld) -> Int { world.web.port! }

    static func tasks(_ events: [ServerSentEvent]) -> [(seq: Int64, id: String, status: String)] {
        events.filter { $0.event == "task" }.compactMap { event in
            guard let object = try? JSONSerialization.jsonObject(with: Data(event.data.utf8)) as? [String: Any],
                let seq = (object["seq"] as? NSNumber)?.int64Value, let task = object["task"] as? [String: Any],
                let id = task["id"] as? String, let status = task["status"] as? String
            else { return nil }
            return (seq, id, status)
        }
    }

    @Test func theDashboardShowsTheFeedWithCountsAndLinksAndNoOneElsesTasks() async throws {
        try await WebWorld.run { world in
            let vaultID = try await world.github.addRepository(owner: "secretco", name: "vault")
            let vault = (vaultID, world.github.addInstallation(account: "secretco"), "secretco/vault")
            let running = try await create(world, number: 1, requester: "octo", title: "Fix the <b>login</b>")
            try await transition(world, running, to: .dispatching)
            try await transition(world, running, to: .running)
            _ = try await create(world, number: 2, requester: "colleague", title: "Queued one")
            _ = try await create(world, repository: vault, number: 1, requester: "secretco", title: "Top secret")

            let signedOut = try await world.browser().get("/")
            #expect(signedOut.status == .found)
            #expect(signedOut.headers[.location] == "/auth")

            let browser = try await world.signedIn("octo")
            let page = try await browser.get("/")
            #expect(page.status == .ok)
            #expect(page.body.contains("Fix the &lt;b&gt;login&lt;/b&gt;"))
            #expect(page.body.contains("Queued one"))
            #expect(!page.body.contains("Top secret"))
            #expect(page.body.contains(#"href="/tasks/\#(running.uuidString.lowercased())""#))
            #expect(page.body.contains(#"data-count-for="all">2<"#))
            #expect(page.body.contains(#"data-count-for="running">1<"#))
            #expect(page.body.contains(#"data-count-for="queued">1<"#))
            #expect(page.body.contains(#"data-count-for="failed">0<"#))
            #expect(page.body.contains("claude · sonnet"))
            // The agents' figures: both visible tasks (the other user's private one is not counted).
            #expect(
                page.body.contains(
                    #"<th scope="row"><code>claude</code> <span class="muted small">sonnet</span></th><td>2</td>"#))
            #expect(page.body.contains(#"href="/?window=7d#agents""#))
            let week = try await browser.get("/?status=running&window=7d")
            #expect(week.body.contains(#"href="/?status=running&amp;window=all#agents""#))
            // The panel alone, as live.js asks for it again when a task's status changes: the same
            // figures, the same links, and where to ask next time.
            let panel = try await browser.get("/dashboard/agents?status=running&window=7d")
            #expect(panel.status == .ok)
            #expect(panel.body.contains(#"id="agents""#))
            #expect(!panel.body.contains("<html"), "a fragment, not a page")
            #expect(panel.body.contains(#"data-src="/dashboard/agents?status=running&amp;window=7d""#))
            #expect(panel.body.contains(#"href="/?status=running&amp;window=all#agents""#))
            #expect(
                panel.body.contains(
                    #"<th scope="row"><code>claude</code> <span class="muted small">sonnet</span></th><td>2</td>"#))
            let newcomer = try await world.signedIn("newcomer")
            #expect(try await newcomer.get("/dashboard/agents").body.contains("No tasks in the last 30 days."))
            #expect(try await newcomer.get("/dashboard/agents?window=all").body.contains("No tasks yet."))
            let signedOutPanel = try await world.browser().get("/dashboard/agents")
            #expect(signedOutPanel.status == .found)
            #expect(signedOutPanel.headers[.location]?.hasPrefix("/auth") == true)
            #expect(!signedOutPanel.body.contains("claude"))

            let runningOnly = try await browser.get("/?status=running")
            #expect(runningOnly.body.contains("Fix the &lt;b&gt;login"))
            #expect(!runningOnly.body.contains("Queued one"))
            #expect(runningOnly.body.contains(#"href="/?status=running" aria-current="page""#))
            let none = try await browser.get("/?status=failed")
            #expect(none.body.contains("No failed tasks"))
        }
    }

    @Test func aChangeFromAnyServiceReachesAnOpenFeedOnlyForPeopleWhoMaySeeIt() async throws {
        try await WebWorld.run { world in
            let vaultID = try await world.github.addRepository(owner: "secretco", name: "vault")
            let vault = (vaultID, world.github.addInstallation(account: "secretco"), "secretco/vault")
            let octo = try await world.signedIn("octo")
            try await EventStreamClient.open(
                port: port(world), path: "/api/tasks/stream", headers: ["Cookie": cookie(octo)]
            ) { stream in
                #expect(try await stream.waitForStatus() == 200)
                try await Self.until("the page watches") { try await liveStreams(world, octo) == 1 }
                let hidden = try await create(world, repository: vault, number: 1, requester: "secretco", title: "No")
                let id = try await create(world, number: 5, requester: "colleague", title: "Seen live")
                try await transition(world, id, to: .dispatching)
                try await transition(world, id, to: .running)
                try await world.database.query(
                    "UPDATE tasks SET progress_phase = 'agent' WHERE id = \(id)")
                let events = try await stream.wait("the task's four changes") { events in
                    Self.tasks(events).filter { $0.id == id.uuidString.lowercased() }.count >= 4
                }
                let mine = Self.tasks(events).filter { $0.id == id.uuidString.lowercased() }
                // Each change is one event, in order: the title set after creation is one of the queued ones.
                let statuses = mine.map(\.status).reduce(into: [String]()) { if $0.last != $1 { $0.append($1) } }
                #expect(statuses == ["queued", "dispatching", "running"])
                #expect(mine.map(\.seq) == mine.map(\.seq).sorted())
                #expect(!Self.tasks(events).contains { $0.id == hidden.uuidString.lowercased() })
                #expect(events.allSatisfy { $0.id != nil })
            }
        }
    }

    @Test func aReconnectWithLastEventIDIsSentEverythingItMissed() async throws {
        try await WebWorld.run { world in
            let octo = try await world.signedIn("octo")
            let first = try await create(world, number: 1, requester: "octo", title: "One")
            let lastSeen = try await EventStreamClient.open(
                port: port(world), path: "/api/tasks/stream", headers: ["Cookie": cookie(octo)]
            ) { stream in
                try await Self.until("the page watches") { try await liveStreams(world, octo) == 1 }
                try await transition(world, first, to: .dispatching)
                let events = try await stream.wait("the change") { !Self.tasks($0).isEmpty }
                return try #require(events.last?.id)
            }
            // While the page is away: a new task, and the first one moves on.
            let second = try await create(world, number: 2, requester: "octo", title: "Two")
            try await transition(world, first, to: .running)
            try await EventStreamClient.open(
                port: port(world), path: "/api/tasks/stream",
                headers: ["Cookie": cookie(octo), "Last-Event-ID": lastSeen]
            ) { stream in
                let events = try await stream.wait("the missed changes") { events in
                    let tasks = Self.tasks(events)
                    return tasks.contains { $0.id == second.uuidString.lowercased() }
                        && tasks.contains { $0.id == first.uuidString.lowercased() && $0.status == "running" }
                }
                #expect(events.compactMap(\.id).allSatisfy { Int64($0) != nil })
            }
            let bad = try await octo.request(
                .get, "/api/tasks/stream", headers: [HTTPField.Name("Last-Event-ID")!: "x"])
            #expect(bad.status == .badRequest)
            let signedOut = try await world.browser().get("/api/tasks/stream")
            #expect(signedOut.status == .unauthorized)
        }
    }

    @Test func aTaskPageStreamsItsNewOutputAndResumesWhereItLeftOff() async throws {
        try await WebWorld.run { world in
            let octo = try await world.signedIn("octo")
            let id = try await create(world, number: 1, requester: "octo", title: "Streamed")
            try await transition(world, id, to: .dispatching)
            try await transition(world, id, to: .running)
            let page = try await octo.get("/tasks/\(id.uuidString.lowercased())")
            let since = try #require(
                page.body.firstMatch(of: /data-since="([0-9]+-[0-9]+)"/).map { String($0.output.1) })
            #expect(page.body.contains(#"data-stream="/api/tasks/\#(id.uuidString.lowercased())/stream""#))
            let path = "/api/tasks/\(id.uuidString.lowercased())/stream?since=\(since)"
            let resumeAt = try await EventStreamClient.open(
                port: port(world), path: path, headers: ["Cookie": cookie(octo)]
            ) { stream in
                try await progress(world, id, lines: ["$ swift build", "Compiling <Widgets>"])
                let events = try await stream.wait("the output") { $0.contains { $0.event == "log" } }
                let log = try #require(events.first { $0.event == "log" })
                #expect(log.data.contains("Compiling <Widgets>"))
                return try #require(log.id)
            }
            try await progress(world, id, lines: ["Executed 3 tests"])
            try await transition(world, id, to: .succeeded)
            try await EventStreamClient.open(
                port: port(world), path: "/api/tasks/\(id.uuidString.lowercased())/stream",
                headers: ["Cookie": cookie(octo), "Last-Event-ID": resumeAt]
            ) { stream in
                let events = try await stream.wait("what was missed") { events in
                    events.contains { $0.event == "log" && $0.data.contains("Executed 3 tests") }
                        && Self.tasks(events).contains { $0.status == "succeeded" }
                }
                #expect(!events.contains { $0.data.contains("Compiling") })
            }
            // Someone who may not see the repository learns nothing, not even that the task exists.
            let stranger = try await world.signedIn("stranger")
            let hidden = try await stranger.get("/api/tasks/\(id.uuidString.lowercased())/stream")
            #expect(hidden.status == .notFound)
        }
    }

    func progress(_ world: WebWorld, _ id: UUID, lines: [String]) async throws {
        let data = String(
            decoding: try JSONSerialization.data(withJSONObject: ["phase": "agent", "lines": lines]), as: UTF8.self)
        try await world.database.query(
            """
            INSERT INTO task_events (task_id, attempt, kind, message, data)
            VALUES (\(id), 1, 'progress', 'working', \(data)::jsonb)
            """)
    }

    @Test func aPageThatStopsReadingCostsBoundedMemoryAndOthersStayLive() async throws {
        // Logging every database message would make this test about the logger.
        try await WebWorld.run(logLevel: .info) { world in
            let octo = try await world.signedIn("octo")
            let id = try await create(world, number: 1, requester: "octo", title: "Busy")
            let before = try Self.residentBytes()
            try await EventStreamClient.open(
                port: port(world), path: "/api/tasks/stream", headers: ["Cookie": cookie(octo)], reading: false
            ) { _ in
                // Wait until the silent page is watching, then change the task 60,000 times, each change
                // about three kilobytes of event: buffering them all would hold some two hundred megabytes.
                try await Self.until("the silent page watches") { try await liveStreams(world, octo) == 1 }
                try await world.database.query(
                    "UPDATE tasks SET issue_title = repeat('t', 300), status_reason = repeat('r', 2400) WHERE id = \(id)"
                )
                for _ in 0..<60 {
                    try await world.database.query(
                        PostgresQuery(
                            unsafeSQL: """
                                DO $$ BEGIN FOR i IN 1..1000 LOOP
                                    UPDATE tasks SET progress_phase = repeat('x', 100) || i::text
                                    WHERE id = '\(id.uuidString.lowercased())';
                                END LOOP; END $$
                                """))
                }
                // A page that reads still hears the next change.
                try await EventStreamClient.open(
                    port: port(world), path: "/api/tasks/stream", headers: ["Cookie": cookie(octo)]
                ) { reader in
                    _ = try await reader.waitForStatus()
                    try await world.database.query("UPDATE tasks SET issue_title = 'after the flood' WHERE id = \(id)")
                    try await reader.wait("the change after the flood") {
                        $0.contains { $0.data.contains("after the flood") }
                    }
                }
                let grown = try Self.residentBytes() - before
                // The whole test process is measured, and suites running beside this one allocate too
                // (tens of megabytes on a loaded machine): hence a flood far larger than the limit.
                #expect(grown < 75_000_000, "resident memory grew by \(grown) bytes")
            }
        }
    }

    /// Two hundred here: the test process also spawns git for other suites, and Foundation's `Process`
    /// crashes when a process holds more than 1,024 descriptors. A thousand pages against the real
    /// binary are `Tests/Browser/live_load.py`, run by `scripts/web-check`.
    @Test func manyPagesShareOneListeningConnection() async throws {
        try await WebWorld.run(logLevel: .info) { world in
            let octo = try await world.signedIn("octo")
            let id = try await create(world, number: 1, requester: "octo", title: "Watched by many")
            let headers = ["Cookie": cookie(octo)]
            let port = port(world)
            let received = Tally()
            let open = Tally()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<Self.pages {
                    // Pages open fifty at a time, as a loaded machine can take them.
                    if index > 0, index % 50 == 0 {
                        try await Self.until("\(index) pages open", seconds: 120) { open.value == index }
                    }
                    group.addTask {
                        try await EventStreamClient.open(port: port, path: "/api/tasks/stream", headers: headers) {
                            stream in
                            #expect(try await stream.waitForStatus(seconds: 120, poll: .milliseconds(500)) == 200)
                            open.add()
                            try await stream.wait("the change", seconds: 180, poll: .milliseconds(500)) { events in
                                events.contains { $0.data.contains("seen by all") }
                            }
                            received.add()
                        }
                    }
                }
                try await Self.until("every page is open", seconds: 180) { open.value == Self.pages }
                try await Self.until("every page watches", seconds: 60) {
                    try await liveStreams(world, octo) == Self.pages
                }
                let listeners = try await world.database.query(
                    """
                    SELECT count(*)::int FROM pg_stat_activity
                    WHERE datname = current_database() AND query ILIKE 'LISTEN%porter_task_changes%'
                    """
                ).collect().first?.decode(Int.self)
                #expect(listeners == 1)
                try await world.database.query("UPDATE tasks SET issue_title = 'seen by all' WHERE id = \(id)")
                try await group.waitForAll()
            }
            #expect(received.value == Self.pages)
        }
    }

    /// Open streams, as web-api's metrics count them.
    func liveStreams(_ world: WebWorld, _ browser: Browser) async throws -> Int? {
        let metrics = try await browser.get("/metrics").body
        return metrics.split(separator: "\n").first { $0.hasPrefix("porter_web_api_live_streams ") }
            .flatMap { Double($0.split(separator: " ").last ?? "") }.map { Int($0) }
    }

    static let pages = 200

    static func until(
        _ what: String, seconds: Double = 30, _ condition: @Sendable () async throws -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("timed out waiting for \(what)")
        throw CancellationError()
    }

    /// This process's resident memory (web-api runs in it).
    static func residentBytes() throws -> Int {
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") })
        return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
    }
}

/// A count shared by concurrent clients.
final class Tally: Sendable {
    private let count = Mutex(0)
    func add() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
