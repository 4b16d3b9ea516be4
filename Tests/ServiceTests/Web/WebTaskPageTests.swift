import Foundation
import HTTPTypes
import PorterKit
import PorterTestSupport
import PostgresNIO
import Testing

@testable import WebAPI

/// `/tasks/<id>`: shown to the requester and to people who can see the repository, a 404 to anyone
/// else; Stop and Retry queue the same control verbs a comment would.
@Suite(.timeLimit(.minutes(3))) struct WebTaskPageTests {
    /// A running task on acme/widgets#1, asked for by `requester`, with some output.
    func task(in world: WebWorld, requester: String, status: TaskStatus = .running) async throws -> UUID {
        let tasks = PostgresTaskRepository(client: world.database, logger: TestDatabase.logger)
        let created = try await tasks.create(
            NewTask(
                issue: IssueReference(
                    installationID: Int64(world.installationID), repositoryID: Int64(world.repositoryID),
                    repositoryFullName: "acme/widgets", number: 1),
                requester: Requester(id: Int64(world.github.addUser(requester)), login: requester),
                request: TaskRequest(agent: .claude, model: "opus", instructions: "fix the <b>crash</b>")))
        for next in [TaskStatus.dispatching, .running] + (status == .running ? [] : [status]) {
            _ = try await tasks.transition(
                id: created.id, to: next, reason: next == .failed ? "the agent gave up" : nil)
        }
        try await world.database.query(
            """
            INSERT INTO task_events (task_id, attempt, kind, message, data)
            VALUES (\(created.id), 1, 'progress', 'running tests',
                '{"phase":"agent","lines":["$ swift test","<script>alert(1)</script>","Executed 12 tests"]}'::jsonb)
            """)
        return created.id
    }

    @Test func theRequesterSeesTheirTaskWithItsTimelineAndOutputEscaped() async throws {
        try await WebWorld.run { world in
            let browser = try await world.signedIn("octo")
            let id = try await task(in: world, requester: "octo")
            let page = try await browser.get("/tasks/\(id.uuidString.lowercased())")
            #expect(page.status == .ok)
            #expect(page.body.contains("acme/widgets#1"))
            #expect(page.body.contains("Executed 12 tests"))
            #expect(page.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
            #expect(!page.body.contains("<script>alert(1)"))
            #expect(page.body.contains(#"id="stop-task""#), "octo may write, and the task runs")
            #expect(!page.body.contains(#"id="retry-task""#))
            let json = try await browser.get("/api/tasks/\(id.uuidString)").json()
            #expect(json["status"] as? String == "running")
            #expect(json["canControl"] as? Bool == true)
            #expect((json["logTail"] as? [String])?.last == "Executed 12 tests")
            #expect((json["events"] as? [[String: Any]])?.contains { $0["kind"] as? String == "status" } == true)
        }
    }

    @Test func aFollowUpsPageLinksItsPullRequestAndTheTaskThatOpenedIt() async throws {
        try await WebWorld.run { world in
            let browser = try await world.signedIn("octo")
            let opened = try await task(in: world, requester: "octo", status: .succeeded)
            let followUp = try await PostgresTaskRepository(client: world.database, logger: TestDatabase.logger).create(
                NewTask(
                    issue: IssueReference(
                        installationID: Int64(world.installationID), repositoryID: Int64(world.repositoryID),
                        repositoryFullName: "acme/widgets", number: 2, isPullRequest: true),
                    requester: Requester(id: Int64(world.github.addUser("octo")), login: "octo"),
                    request: TaskRequest(agent: .claude, instructions: "also cover logout"), kind: .followUp,
                    followUpOf: opened, followUp: FollowUpRequest(source: .conversation)))
            let page = try await browser.get("/tasks/\(followUp.id.uuidString.lowercased())")
            #expect(page.status == .ok)
            #expect(page.body.contains("Follow-up on"))
            #expect(page.body.contains(#"/acme/widgets/pull/2">pull request #2</a>"#), "\(page.body)")
            #expect(page.body.contains(#"<a href="/tasks/\#(opened.uuidString.lowercased())">"#))
            let issuePage = try await browser.get("/tasks/\(opened.uuidString.lowercased())")
            #expect(!issuePage.body.contains("Follow-up on"))
            #expect(issuePage.body.contains("/acme/widgets/issues/1"))
        }
    }

    @Test func someoneWhoCannotSeeTheRepositoryGetsA404ForPageAPIAndControls() async throws {
        try await WebWorld.run { world in
            let id = try await task(in: world, requester: "octo")
            let outsider = try await world.signedIn("outsider")
            for path in ["/tasks/\(id.uuidString)", "/api/tasks/\(id.uuidString)"] {
                #expect(try await outsider.get(path).status == .notFound)
            }
            let stop = try await outsider.send(.put, "/api/tasks/\(id.uuidString)/stop", json: "")
            #expect(stop.status == .notFound)
            #expect(try stop.json()["error"] as? String == "not_found")
            // The same answer as for a task that does not exist at all.
            #expect(try await outsider.get("/api/tasks/\(UUID().uuidString)").status == .notFound)
            #expect(try await outsider.get("/api/tasks/not-a-uuid").status == .notFound)
            let jobs = try await world.database.query("SELECT count(*) FROM jobs WHERE kind = 'control'").collect()
            #expect(try jobs.first?.decode(Int.self) == 0)
        }
    }

    @Test func stopFromThePageQueuesTheControlVerbAsTheCommentWould() async throws {
        try await WebWorld.run { world in
            world.github.setRole(owner: "acme", repo: "widgets", user: "maintainer", role: "maintain")
            let id = try await task(in: world, requester: "octo")
            let browser = try await world.signedIn("maintainer")
            let answer = try await browser.post("/tasks/\(id.uuidString.lowercased())/stop", form: [:])
            #expect(answer.status == .seeOther)
            #expect(answer.location == "/tasks/\(id.uuidString.lowercased())?requested=stop")
            let rows = try await world.database.query(
                "SELECT payload::text FROM jobs WHERE kind = 'control'"
            ).collect()
            let payload = try #require(try rows.first?.decode(String.self))
            let request = try JSONDecoder().decode(ControlRequest.self, from: Data(payload.utf8))
            #expect(request.verb == .stop)
            #expect(request.context.requester.login == "maintainer")
            #expect(request.context.issue.number == 1)
            #expect(request.deliveryID?.hasPrefix("web:") == true)
            let retry = try await browser.send(.put, "/api/tasks/\(id.uuidString)/retry", json: "")
            #expect(retry.status == .conflict)
            #expect(try retry.json()["error"] as? String == "still_running")
        }
    }

    @Test func aReaderSeesTheTaskButCannotStopOrRetryIt() async throws {
        try await WebWorld.run { world in
            world.github.setRole(owner: "acme", repo: "widgets", user: "reader", role: "read")
            let id = try await task(in: world, requester: "octo", status: .failed)
            let browser = try await world.signedIn("reader")
            let page = try await browser.get("/tasks/\(id.uuidString)")
            #expect(page.status == .ok)
            #expect(page.body.contains("the agent gave up"))
            #expect(!page.body.contains(#"id="retry-task""#))
            let retry = try await browser.send(.put, "/api/tasks/\(id.uuidString)/retry", json: "")
            #expect(retry.status == .forbidden)
            let writer = try await world.signedIn("octo")
            #expect(try await writer.get("/tasks/\(id.uuidString)").body.contains(#"id="retry-task""#))
            #expect(try await writer.send(.put, "/api/tasks/\(id.uuidString)/retry", json: "").status == .accepted)
        }
    }
}
