import Foundation
import HTTPTypes
import PorterKit
import PorterTestSupport
import PostgresNIO
import Testing

@testable import WebAPI

/// Dispatch from the web app (`POST /api/tasks`, the `/dispatch` form): the same task and job a
/// comment makes, taken by the real dispatcher; refused before anything exists for someone who may
/// not write, a repository they cannot see, bad fields or a missing CSRF token.
@Suite(.timeLimit(.minutes(3))) struct WebDispatchTests {
    static let command = """
        {"repository": "acme/widgets", "issueNumber": 1, "agent": "claude", "model": "opus", "priority": "high",
         "draft": false, "baseBranch": "main", "instructions": "fix the crash"}
        """

    func count(_ world: WebWorld, _ table: String) async throws -> Int {
        try await world.database.query("SELECT count(*)::integer FROM \(unescaped: table)").collect().first?
            .decode(Int.self) ?? -1
    }

    @Test func aDispatchMakesTheTaskAndJobACommentMakesAndTheDispatcherRunsIt() async throws {
        try await WebWorld.run { world in
            let github = world.github
            github.addIssue(
                owner: "acme", repo: "widgets", title: "Crash on start", body: "It crashes.", author: "acme")
            github.addIssue(owner: "acme", repo: "widgets", title: "Crash on exit", author: "acme")
            github.addIssue(owner: "acme", repo: "widgets", title: "Slow start", author: "acme")
            github.setRole(owner: "acme", repo: "widgets", user: "dev", role: "write")
            let gatewayPort = try ServiceProcess.freePort()
            var gatewayEnv = ServiceEnvironment.minimal(
                for: "webhook-gateway", database: world.databaseURL, port: gatewayPort)
            gatewayEnv["GITHUB_APP_SLUG"] = "porter"
            let gateway = try ServiceProcess.start("webhook-gateway", environment: gatewayEnv, port: gatewayPort)
            defer { gateway.terminate() }
            try await gateway.waitUntilServing()
            github.configureWebhooks(
                url: "http://127.0.0.1:\(gatewayPort)/webhooks/github", secret: "test-webhook-secret")

            let octo = try await world.signedIn("octo")
            let answer = try await octo.send(.post, "/api/tasks", json: Self.command)
            #expect(answer.status == .created)
            let json = try answer.json()
            let id = try #require((json["id"] as? String).flatMap(UUID.init(uuidString:)))
            #expect(json["url"] as? String == "http://127.0.0.1:8080/tasks/\(id.uuidString.lowercased())")
            #expect(answer.headers[.location] == json["url"] as? String)
            #expect(json["status"] as? String == "queued" && json["openedIssue"] as? Bool == false)
            #expect(json["waitingFor"] == nil && json["repeated"] as? Bool == false)
            // The same command as a comment on issue 2, through the real gateway.
            let comment = try await github.comment(
                owner: "acme", repo: "widgets", issue: 2, author: "octo",
                body: "@porter claude --model=opus --priority=high --ready --base=main fix the crash")
            let columns = """
                installation_id, repository_id, repository_full_name, is_pull_request, requester_id, requester_login,
                agent, model, priority, draft, base_branch, instructions, status, retry_of
                """
            let rows = try await eventually(world) { database in
                let rows = try await database.query(
                    """
                    SELECT row_to_json(t)::text FROM (SELECT \(unescaped: columns) FROM tasks ORDER BY issue_number) t
                    """
                ).collect().map { try $0.decode(String.self) }
                return rows.count == 2 ? rows : nil
            }
            #expect(rows[0] == rows[1], "the web's task row is the comment's")
            #expect(rows[0].contains(#""requester_login":"octo""#) && rows[0].contains(#""model":"opus""#))
            let origins = try await world.database.query(
                "SELECT trigger_comment_id, delivery_id FROM tasks ORDER BY issue_number"
            ).collect().map { try $0.decode((Int64?, String?).self) }
            #expect(origins[0].0 == nil && origins[0].1?.hasPrefix("web-dispatch:") == true)
            #expect(origins[1].0 == Int64(comment) && origins[1].1 != nil)
            let jobs = try await world.database.query(
                "SELECT kind, priority, payload::text FROM jobs ORDER BY task_id = \(id) DESC"
            ).collect().map { try $0.decode((String, Int16, String).self) }
            #expect(jobs.count == 2)
            #expect(jobs.map(\.0) == ["dispatch", "dispatch"] && jobs.map(\.2) == ["{}", "{}"])
            #expect(jobs.map(\.1) == [TaskPriority.high.rank, TaskPriority.high.rank])

            // The dispatcher checks again: dev may write when asking, and no longer when it runs.
            let dev = try await world.signedIn("dev")
            let refusedLater = try await dev.send(
                .post, "/api/tasks", json: #"{"repository": "acme/widgets", "issueNumber": 3, "agent": "claude"}"#)
            #expect(refusedLater.status == .created)
            github.setRole(owner: "acme", repo: "widgets", user: "dev", role: "read")

            var dispatcherEnv = ServiceEnvironment.minimal(
                for: "dispatcher", database: world.databaseURL, port: try ServiceProcess.freePort())
            dispatcherEnv.merge([
                "GITHUB_API_URL": github.baseURL, "GITHUB_URL": github.baseURL, "PORTER_WORKER_COMMAND": "/bin/true",
                "PORTER_DEFAULT_ANTHROPIC_API_KEY": "sk-ant-api03-operator0123456789abcdefghijkl",
            ]) { $1 }
            let dispatcher = try ServiceProcess.start("dispatcher", environment: dispatcherEnv)
            defer { dispatcher.terminate() }
            let page = "http://127.0.0.1:8080/tasks/\(id.uuidString.lowercased())"
            let status = try await eventually(world) { _ in
                github.comments(owner: "acme", repo: "widgets", issue: 1).first {
                    $0.contains("⚙️ running") && $0.contains(page)
                }
            }
            #expect(status.contains("Agent `claude` · model `opus`"))
            _ = try await eventually(world) { _ in
                github.comments(owner: "acme", repo: "widgets", issue: 2).first { $0.contains("⚙️ running") }
            }
            _ = try await eventually(world) { _ in
                github.labels(owner: "acme", repo: "widgets", issue: 1) == ["porter:running"] ? true : nil
            }
            let permissions = try await world.database.query(
                "SELECT requester_login, status, authorized_permission FROM tasks ORDER BY issue_number"
            ).collect().map { try $0.decode((String, String, String?).self) }
            #expect(permissions[0].0 == "octo" && permissions[0].1 == "running" && permissions[0].2 == "write")
            #expect(github.reactions(commentID: comment) == ["eyes"])
            let refusal = try await eventually(world) { _ in
                github.comments(owner: "acme", repo: "widgets", issue: 3).first { $0.hasPrefix("@dev ") }
            }
            #expect(refusal.contains("you have read"))
            _ = try await eventually(world) { database in
                try await database.query("SELECT 1 FROM tasks WHERE issue_number = 3 AND status = 'failed'").collect()
                    .first.map { _ in true }
            }
        }
    }

    @Test func aNewIssueIsOpenedAsThePersonThenDispatchedOnce() async throws {
        try await WebWorld.run { world in
            let octo = try await world.signedIn("octo")
            let requestID = UUID().uuidString
            let body = """
                {"repository": "acme/widgets", "newIssue": {"title": "Add dark mode", "body": "Night owls."},
                 "agent": "codex", "instructions": "follow the design", "requestId": "\(requestID)"}
                """
            let answer = try await octo.send(.post, "/api/tasks", json: body)
            #expect(answer.status == .created)
            let json = try answer.json()
            #expect(json["openedIssue"] as? Bool == true && json["issueNumber"] as? Int == 1)
            let issue = try #require(world.github.issues(owner: "acme", repo: "widgets").first)
            #expect(
                issue.title == "Add dark mode" && issue.body == "Night owls." && issue.author == "octo" && issue.viaApp)
            let task = try #require(
                try await world.database.query("SELECT issue_number, agent, instructions FROM tasks").collect().first?
                    .decode((Int, String, String).self))
            #expect(task.0 == 1 && task.1 == "codex" && task.2 == "follow the design")
            // Sent again (a retry after a lost answer): the same task, and no second issue.
            let again = try await octo.send(.post, "/api/tasks", json: body)
            #expect(again.status == .created)
            #expect(try again.json()["id"] as? String == json["id"] as? String)
            #expect(try again.json()["repeated"] as? Bool == true)
            #expect(world.github.issues(owner: "acme", repo: "widgets").count == 1)
            #expect(try await count(world, "tasks") == 1)
            // Someone else's request id is not theirs to reuse.
            world.github.setRole(owner: "acme", repo: "widgets", user: "colleague", role: "write")
            let taken = try await world.signedIn("colleague").send(.post, "/api/tasks", json: body)
            #expect(taken.status == .conflict)
            #expect(try taken.json()["error"] as? String == "request_id_taken")
            #expect(world.github.issues(owner: "acme", repo: "widgets").count == 1)

            // The form: a new issue, then the task page.
            let form = try await octo.post(
                "/dispatch",
                form: [
                    "repository": "acme/widgets", "issue": "new", "title": "Crash on exit", "body": "",
                    "agent": "", "priority": "normal", "pr": "ready", "instructions": "",
                    "requestId": UUID().uuidString,
                ])
            #expect(form.status == .seeOther)
            let location = try #require(form.location)
            #expect(location.hasPrefix("/tasks/") && location.hasSuffix("?requested=dispatch"))
            #expect(
                world.github.issues(owner: "acme", repo: "widgets").map(\.title) == ["Add dark mode", "Crash on exit"])
            let formTask = try #require(
                try await world.database.query("SELECT agent, draft FROM tasks WHERE issue_number = 2").collect().first?
                    .decode((String, Bool).self))
            #expect(formTask.0 == Agent.fallback.rawValue && formTask.1 == false)
        }
    }

    @Test func someoneWhoMayOnlyReadIsRefusedBeforeAnythingIsCreated() async throws {
        try await WebWorld.run { world in
            world.github.addIssue(owner: "acme", repo: "widgets", title: "Crash on start", author: "acme")
            world.github.setRole(owner: "acme", repo: "widgets", user: "reader", role: "read")
            let reader = try await world.signedIn("reader")
            let existing = try await reader.send(.post, "/api/tasks", json: Self.command)
            #expect(existing.status == .forbidden)
            #expect(try existing.json()["error"] as? String == "forbidden")
            #expect((try existing.json()["message"] as? String)?.contains("you have read") == true)
            let newIssue = try await reader.send(
                .post, "/api/tasks", json: #"{"repository": "acme/widgets", "newIssue": {"title": "Please"}}"#)
            #expect(newIssue.status == .forbidden)
            let page = try await reader.post(
                "/dispatch",
                form: ["repository": "acme/widgets", "issue": "1", "instructions": "keep <this> text", "pr": "draft"])
            #expect(page.status == .forbidden)
            #expect(page.body.contains("you have read"))
            #expect(page.body.contains("keep &lt;this&gt; text</textarea>"), "what was typed is kept")
            #expect(try await count(world, "tasks") == 0)
            #expect(try await count(world, "jobs") == 0)
            #expect(world.github.issues(owner: "acme", repo: "widgets").count == 1)
        }
    }

    @Test func aRepositoryThePersonCannotSeeIsA404LikeOneThatDoesNotExist() async throws {
        try await WebWorld.run { world in
            try await world.github.addRepository(owner: "secretco", name: "vault")
            world.github.addInstallation(account: "secretco")
            world.github.addIssue(
                owner: "secretco", repo: "vault", title: "Secret plans", body: "Shh.", author: "secretco")
            let octo = try await world.signedIn("octo")
            var answers: [(HTTPResponse.Status, String?)] = []
            for repository in ["secretco/vault", "secretco/nothing"] {
                let answer = try await octo.send(
                    .post, "/api/tasks", json: #"{"repository": "\#(repository)", "issueNumber": 1}"#)
                answers.append((answer.status, try answer.json()["error"] as? String))
            }
            #expect(answers.allSatisfy { $0.0 == .notFound && $0.1 == "not_found" })
            for path in ["/api/github/issues/secretco/vault", "/api/github/issues/secretco/vault/1"] {
                let answer = try await octo.get(path)
                #expect(answer.status == .notFound)
                #expect(!answer.body.contains("Secret plans"))
            }
            #expect(try await count(world, "tasks") == 0)
        }
    }

    @Test(arguments: [
        (#"{"issueNumber": 1}"#, "Choose a repository."),
        (#"{"repository": "acme widgets", "issueNumber": 1}"#, "owner/name"),
        (#"{"repository": "acme/widgets"}"#, "Choose an issue"),
        (#"{"repository": "acme/widgets", "issueNumber": "one"}"#, "issueNumber must be a whole number."),
        (#"{"repository": "acme/widgets", "issueNumber": 0}"#, "whole number from 1 up"),
        (#"{"repository": "acme/widgets", "issueNumber": 1, "newIssue": {"title": "x"}}"#, "not both"),
        (#"{"repository": "acme/widgets", "newIssue": {"title": " "}}"#, "needs a title"),
        (#"{"repository": "acme/widgets", "issueNumber": 1, "agent": "script"}"#, "is not an agent"),
        // The demo agent, where the operator has not turned it on (WebWorld leaves PORTER_DEMO_AGENT unset).
        (#"{"repository": "acme/widgets", "issueNumber": 1, "agent": "demo"}"#, "is not an agent"),
        (#"{"repository": "acme/widgets", "issueNumber": 1, "model": "two words"}"#, "The model is one word"),
        (#"{"repository": "acme/widgets", "issueNumber": 1, "priority": "urgent"}"#, "low, normal or high"),
        (#"{"repository": "acme/widgets", "issueNumber": 1, "baseBranch": "a..b"}"#, "is not a branch name"),
        (#"{"repository": "acme/widgets", "issueNumber": 1, "draft": "yes"}"#, "draft must be true or false"),
        (#"{"repository": "acme/widgets", "issueNumber": 1, "requestId": "x"}"#, "UUID"),
        (#"{"repository": "acme/widgets", "issueNumber": 1, "colour": "red"}"#, "colour is not a field"),
        (#"["acme/widgets"]"#, "JSON object"),
    ])
    func badFieldsAre400sThatSayWhatIsWrong(body: String, problem: String) async throws {
        try await WebWorld.run { world in
            let octo = try await world.signedIn("octo")
            let answer = try await octo.send(.post, "/api/tasks", json: body)
            #expect(answer.status == .badRequest)
            let message = try answer.json()["message"] as? String ?? ""
            #expect(message.contains(problem), "\(message)")
            #expect(try await count(world, "tasks") == 0)
        }
    }

    @Test func withoutTheCSRFTokenNothingIsCreated() async throws {
        try await WebWorld.run { world in
            world.github.addIssue(owner: "acme", repo: "widgets", title: "Crash on start", author: "acme")
            let octo = try await world.signedIn("octo")
            let api = try await octo.send(.post, "/api/tasks", json: Self.command, csrf: false)
            #expect(api.status == .forbidden)
            #expect(try api.json()["error"] as? String == "csrf_failed")
            let form = try await octo.post(
                "/dispatch", form: ["repository": "acme/widgets", "issue": "1"], csrf: false)
            #expect(form.status == .forbidden)
            let signedOut = try await world.browser().send(.post, "/api/tasks", json: Self.command, csrf: false)
            #expect(signedOut.status == .unauthorized)
            #expect(try await count(world, "tasks") == 0)
        }
    }

    @Test func aSecondTaskOnAnIssueWaitsBehindTheActiveOneAndSaysSo() async throws {
        try await WebWorld.run { world in
            world.github.addIssue(owner: "acme", repo: "widgets", title: "Crash on start", author: "acme")
            let octo = try await world.signedIn("octo")
            let first = try await octo.send(.post, "/api/tasks", json: Self.command)
            let firstID = try #require((try first.json()["id"] as? String).flatMap(UUID.init(uuidString:)))
            let tasks = PostgresTaskRepository(client: world.database, logger: TestDatabase.logger)
            _ = try await tasks.transition(id: firstID, to: .dispatching, reason: nil)
            _ = try await tasks.transition(id: firstID, to: .running, reason: nil)
            let second = try await octo.send(.post, "/api/tasks", json: Self.command)
            #expect(second.status == .created)
            let json = try second.json()
            let waiting = try #require(json["waitingFor"] as? [String: Any])
            #expect(waiting["id"] as? String == firstID.uuidString.lowercased())
            #expect(waiting["status"] as? String == "running")
            #expect((json["message"] as? String)?.contains("waits for it to finish") == true)
            #expect(try await count(world, "tasks") == 2)

            // A closed issue is refused: closing one cancels its tasks.
            try await world.github.closeIssue(owner: "acme", repo: "widgets", number: 1, by: "acme")
            let closed = try await octo.send(.post, "/api/tasks", json: Self.command)
            #expect(closed.status == .conflict)
            #expect(try closed.json()["error"] as? String == "issue_closed")
            #expect(try await count(world, "tasks") == 2)
        }
    }

    @Test func recentCommandsAreThePersonsOwnNewestFirstAndRefillTheForm() async throws {
        try await WebWorld.run { world in
            world.github.addIssue(owner: "acme", repo: "widgets", title: "Crash on start", author: "acme")
            world.github.setRole(owner: "acme", repo: "widgets", user: "colleague", role: "write")
            let octo = try await world.signedIn("octo")
            let colleague = try await world.signedIn("colleague")
            for (browser, instructions) in [
                (octo, "first"), (colleague, "the colleague's"), (octo, "second"), (octo, "third"), (octo, "second"),
            ] {
                let answer = try await browser.send(
                    .post, "/api/tasks",
                    json: #"{"repository": "acme/widgets", "issueNumber": 1, "instructions": "\#(instructions)"}"#)
                #expect(answer.status == .created)
            }
            let recent = try await octo.get("/api/dispatch/recent").json()["commands"] as? [[String: Any]] ?? []
            #expect(recent.compactMap { $0["instructions"] as? String } == ["second", "third", "first"])
            let theirs = try await colleague.get("/api/dispatch/recent").json()["commands"] as? [[String: Any]] ?? []
            #expect(theirs.compactMap { $0["instructions"] as? String } == ["the colleague's"])

            let first = try #require(recent.last?["formURL"] as? String)
            let refilled = try await octo.get(first)
            #expect(refilled.status == .ok)
            #expect(refilled.body.contains(">first</textarea>"))
            #expect(refilled.body.contains(#"<option value="1" selected>#1 · Crash on start</option>"#))
            // Someone else's task fills nothing in.
            let foreign = try #require(theirs.first?["formURL"] as? String)
            let notRefilled = try await octo.get(foreign)
            #expect(notRefilled.status == .ok)
            #expect(notRefilled.body.contains(#"beyond what the issue says"></textarea>"#))
        }
    }

    /// Where the operator turned the demo on, the form lists it as needing no key, a dispatch naming it
    /// makes a demo task, and the history filter offers it; a default agent still cannot be the demo.
    @Test func withTheDemoTurnedOnTheFormOffersItAndADispatchNamingItMakesADemoTask() async throws {
        try await WebWorld.run(environment: ["PORTER_DEMO_AGENT": "1"]) { world in
            world.github.addIssue(owner: "acme", repo: "widgets", title: "Say hello", author: "acme")
            let octo = try await world.signedIn("octo")
            let page = try await octo.get("/dispatch?issue=1")
            #expect(page.body.contains(#"<option value="demo" data-hint="Demo: built into Porter and offline"#))
            #expect(page.body.contains("changes nothing else. Needs no key."))
            let answer = try await octo.send(
                .post, "/api/tasks",
                json:
                    #"{"repository": "acme/widgets", "issueNumber": 1, "agent": "demo", "instructions": "add a greeting"}"#
            )
            #expect(answer.status == .created)
            let task = try await world.database.query("SELECT agent, instructions FROM tasks").collect().first?
                .decode((String, String).self)
            #expect(task?.0 == "demo" && task?.1 == "add a greeting")
            let history = try await octo.get("/history")
            #expect(history.body.contains(#"<option value="demo">demo</option>"#))
            let setting = try await octo.send(.put, "/api/config", json: #"{"defaultAgent":"demo"}"#)
            #expect(setting.status == .unprocessableContent)
            #expect(try await count(world, "user_settings WHERE default_agent = 'demo'") == 0)
        }
    }

    @Test func thePageOffersRepositoriesIssuesAndAgentsAndShowsIssueTextAsText() async throws {
        try await WebWorld.run { world in
            world.github.addIssue(
                owner: "acme", repo: "widgets", title: "Crash <b>on</b> start", body: "<script>alert(1)</script> here",
                author: "acme")
            let octo = try await world.signedIn("octo")
            let page = try await octo.get("/dispatch?issue=1")
            #expect(page.status == .ok)
            #expect(page.body.contains(#"<option value="acme/widgets" selected>acme/widgets</option>"#))
            #expect(page.body.contains("#1 · Crash &lt;b&gt;on&lt;/b&gt; start"))
            #expect(page.body.contains("&lt;script&gt;alert(1)&lt;/script&gt; here"))
            #expect(!page.body.contains("<script>alert(1)"))
            for agent in ["claude", "codex", "opencode", "amp", "gemini"] {
                #expect(page.body.contains(#"<option value="\#(agent)""#))
            }
            #expect(!page.body.contains(#"value="script""#))
            #expect(!page.body.contains(#"value="demo""#), "the demo agent is off here")
            #expect(page.body.contains(#"data-template data-instructions="Find the cause of the bug"#))
            let preview = try await octo.get("/api/github/issues/acme/widgets/1").json()
            #expect(preview["body"] as? String == "<script>alert(1)</script> here")
            let list = try await octo.get("/api/github/issues/acme/widgets").json()["issues"] as? [[String: Any]]
            #expect(list?.compactMap { $0["number"] as? Int } == [1])
            // A template, without JavaScript: the form again, filled in, nothing created.
            let templated = try await octo.post(
                "/dispatch/refresh", form: ["repository": "acme/widgets", "issue": "1", "template": "update-docs"])
            #expect(templated.status == .ok)
            #expect(templated.body.contains("Update the documentation for what this issue describes"))
            #expect(templated.body.contains(#"<option value="low" selected>"#))
            #expect(try await count(world, "tasks") == 0)
        }
    }

    /// Polls `probe` until it gives a value, for at most a minute.
    func eventually<T>(_ world: WebWorld, _ probe: (PostgresClient) async throws -> T?) async throws -> T {
        let end = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < end {
            if let value = try await probe(world.database) { return value }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestSetupError("the condition was not met within a minute")
    }
}
