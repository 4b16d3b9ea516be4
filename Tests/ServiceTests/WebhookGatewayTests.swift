import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PorterKit
import PorterTestSupport
import PostgresNIO
import Testing

@testable import WebhookGateway

@Suite struct WebhookGatewayTests {
    @Test func pingIsAnsweredAndRecorded() async throws {
        try await GatewayHarness.run { gateway in
            let answer = try await gateway.send("ping", try Fixtures.webhook("ping.with-app_id"), delivery: "ping-1")
            #expect(answer.status == .ok)
            #expect(answer.body["outcome"] as? String == "pong")
            #expect(try await gateway.count("webhook_deliveries", where: "delivery_id = 'ping-1'") == 1)
        }
    }

    @Test(arguments: ["/webhooks/github", "/api/webhooks/github"])
    func aCommandBecomesATaskWithItsJobInOneDelivery(path: String) async throws {
        try await GatewayHarness.run { gateway in
            let payload = try GatewayHarness.comment(
                "@porter claude --model=opus --ready --base=develop fix the flaky login test")
            let answer = try await gateway.send("issue_comment", payload, delivery: "d-1", path: path)
            #expect(answer.status == .accepted)
            let task = try #require(try await gateway.tasks().first)
            #expect(answer.body["task_id"] as? String == task.id.uuidString)
            #expect(
                task.request
                    == TaskRequest(
                        agent: .claude, model: "opus", priority: .normal, draft: false, baseBranch: "develop",
                        instructions: "fix the flaky login test"))
            #expect(task.issue.number == payload.get("issue.number") as? Int)
            #expect(task.issue.repositoryID == Int64(payload.get("repository.id") as! Int))
            #expect(task.issue.installationID == Int64(payload.get("installation.id") as! Int))
            #expect(task.requester.login == payload.get("comment.user.login") as? String)
            #expect(task.triggerCommentID == Int64(payload.get("comment.id") as! Int))
            #expect(task.deliveryID == "d-1")
            #expect(task.issue.isPullRequest == false)
            #expect(try await gateway.count("jobs", where: "kind = 'dispatch' AND task_id = '\(task.id)'") == 1)
            #expect(try await gateway.count("webhook_deliveries", where: "task_id = '\(task.id)'") == 1)
        }
    }

    @Test func theTaskRecordsItsCommenterAndAHighPriorityGetsAHighPriorityDispatch() async throws {
        try await GatewayHarness.run { gateway in
            // The commenter is not the sender, so the test tells which one the task records.
            let payload = try GatewayHarness.comment("@porter claude --priority=high fix the flaky login test")
                .setting("comment.user.id", 7_654_321).setting("comment.user.login", "reviewer-jane")
            #expect(payload.get("sender.id") as? Int != 7_654_321)
            let answer = try await gateway.send("issue_comment", payload)
            #expect(answer.status == .accepted)
            _ = try await gateway.send("issue_comment", try GatewayHarness.comment("@porter claude fix it too"))

            let rows = try await gateway.database.query(
                """
                SELECT t.requester_id, t.requester_login, t.priority, j.priority
                FROM tasks t JOIN jobs j ON j.task_id = t.id AND j.kind = 'dispatch'
                ORDER BY t.created_at
                """
            ).collect().map { try $0.decode((Int64, String, Int16, Int16).self) }
            try #require(rows.count == 2)
            #expect(rows[0].0 == 7_654_321)
            #expect(rows[0].1 == "reviewer-jane")
            #expect(rows[0].2 == 2)
            #expect(rows[0].3 == 2)
            // Without the flag: the sender-is-commenter fixture's user, at normal priority.
            #expect(rows[1].0 == Int64(payload.get("sender.id") as! Int))
            #expect(rows[1].2 == 1)
            #expect(rows[1].3 == 1)

            let task = try #require(try await gateway.tasks().first)
            #expect(answer.body["task_id"] as? String == task.id.uuidString)
            #expect(task.requester == Requester(id: 7_654_321, login: "reviewer-jane"))
            #expect(task.request.priority == .high)
            #expect(task.request.instructions == "fix the flaky login test")
        }
    }

    @Test func commandsOnPullRequestsAreMarkedAsSuch() async throws {
        try await GatewayHarness.run { gateway in
            let payload = try GatewayHarness.comment("@porter codex address the review")
                .setting("issue.pull_request", ["url": "https://api.github.com/repos/o/r/pulls/1"])
            #expect(try await gateway.send("issue_comment", payload).status == .accepted)
            #expect(try await gateway.tasks().first?.issue.isPullRequest == true)
        }
    }

    @Test(.timeLimit(.minutes(1))) func dispatchersAreNotifiedAtCommit() async throws {
        try await TestDatabase.withClient { database, url in
            let payload = try await TestDatabase.withConnection(url) { listener in
                try await listener.listen(on: PostgresJobQueue.channel) { notifications in
                    try await withApplication("webhook-gateway", database: url, testing: GatewayHarness.testing) {
                        client in
                        let gateway = GatewayHarness(client: client, database: database)
                        let comment = try GatewayHarness.comment("@porter fix it")
                        #expect(try await gateway.send("issue_comment", comment).status == .accepted)
                    }
                    // The answer came after commit, so the notification is already on its way.
                    for try await notification in notifications { return notification.payload }
                    return "none"
                }
            }
            #expect(payload == "dispatch")
        }
    }

    @Test func aRedeliveryCreatesNothing() async throws {
        try await GatewayHarness.run { gateway in
            let payload = try GatewayHarness.comment("@porter claude fix it")
            #expect(try await gateway.send("issue_comment", payload, delivery: "same").status == .accepted)
            let again = try await gateway.send("issue_comment", payload, delivery: "same")
            #expect(again.status == .ok)
            #expect(again.body["status"] as? String == "duplicate")
            #expect(try await gateway.count("tasks") == 1)
            #expect(try await gateway.count("jobs") == 1)
        }
    }

    @Test func theSameDeliverySentAThousandTimesConcurrentlyYieldsOneTask() async throws {
        try await GatewayHarness.run { gateway in
            let body = try GatewayHarness.comment("@porter claude fix the flaky login test").data
            let statuses = try await gateway.storm("issue_comment", body, delivery: "storm", copies: 1000)
            #expect(statuses.count == 1000)
            #expect(statuses.filter { $0 == .accepted }.count == 1)
            #expect(statuses.filter { $0 == .ok }.count == 999)
            #expect(try await gateway.count("tasks") == 1)
            #expect(try await gateway.count("jobs") == 1)
            #expect(try await gateway.count("webhook_deliveries") == 1)
        }
    }

    /// 9,000 distinct commands, 1,000 of them delivered twice, all interleaved and sent concurrently
    /// (bounded, so a loaded machine answers each in time): one task and one job per distinct delivery.
    @Test func tenThousandDeliveriesWithAThousandRepeatsMakeNineThousandTasks() async throws {
        try await GatewayHarness.run { gateway in
            // One payload serialised once, its issue number then swapped in the text: serialising
            // 9,000 payloads (sorted keys) would cost this test most of its time.
            let marker = 987_654_321
            let template = String(
                decoding: try GatewayHarness.comment("@porter claude fix the flaky login test")
                    .setting("issue.number", marker).data, as: UTF8.self)
            try #require(template.components(separatedBy: "\(marker)").count == 2)
            let distinct = (0..<9_000).map { index in
                (
                    id: "bulk-\(index)",
                    body: Data(template.replacingOccurrences(of: "\(marker)", with: "\(10_000 + index)").utf8)
                )
            }
            // Every ninth delivery comes again, a few hundred deliveries later, while others are in flight.
            var deliveries: [(id: String, body: Data)] = []
            for (index, delivery) in distinct.enumerated() {
                deliveries.append(delivery)
                if index >= 300, (index - 300) % 9 == 0, deliveries.count - distinct.count < 1_000 {
                    deliveries.append(distinct[index - 300])
                }
            }
            while deliveries.count < 10_000 { deliveries.append(distinct[deliveries.count % 9_000]) }
            #expect(deliveries.count == 10_000)
            let statuses = try await gateway.sendAll("issue_comment", deliveries, inFlight: 8)
            #expect(statuses.count == 10_000)
            #expect(statuses.filter { $0 == .accepted }.count == 9_000)
            #expect(statuses.filter { $0 == .ok }.count == 1_000, "the repeats are answered as duplicates")
            #expect(try await gateway.count("tasks") == 9_000)
            #expect(try await gateway.count("jobs", where: "kind = 'dispatch'") == 9_000)
            #expect(try await gateway.count("webhook_deliveries") == 9_000)
        }
    }

    @Test func aWrongOrMissingSignatureIsRejectedAndWritesNothing() async throws {
        try await GatewayHarness.run { gateway in
            let body = try GatewayHarness.comment("@porter claude fix it").data
            let wrong = WebhookSignature(secret: "not-the-secret").header(for: body)
            for signature in [wrong, "", "sha256=zz", "sha1=abc", String(wrong.dropLast(2)) + "00"] {
                let answer = try await gateway.sendRaw("issue_comment", body, signature: signature)
                #expect(answer.status == .unauthorized)
                #expect(answer.body["reason"] as? String == "missing or invalid X-Hub-Signature-256")
            }
            #expect(try await gateway.rowsWritten() == 0)
        }
    }

    @Test func aBodyOver25MBIsRejectedAndWritesNothing() async throws {
        try await GatewayHarness.run { gateway in
            let body = Data(repeating: UInt8(ascii: " "), count: 25 * 1024 * 1024 + 1)
            let answer = try await gateway.sendRaw("issue_comment", body)
            #expect(answer.status == .contentTooLarge)
            #expect(answer.body["reason"] as? String == "body over 25 MB")
            #expect(try await gateway.rowsWritten() == 0)
        }
    }

    /// Without a `Content-Length` the limit is enforced while the body streams in.
    @Test func aChunkedBodyOver25MBIsRejectedAndWritesNothing() async throws {
        try await GatewayHarness.run { gateway in
            let port = try #require(gateway.client.port)
            let body = Data(repeating: UInt8(ascii: " "), count: 25 * 1024 * 1024 + 1)
            var request = HTTPClientRequest(url: "http://localhost:\(port)/webhooks/github")
            request.method = .POST
            for field in GatewayHarness.headers(event: "issue_comment", delivery: "chunked", body: body) {
                request.headers.add(name: field.name.rawName, value: field.value)
            }
            request.body = .bytes(body, length: .unknown)
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            let answer = try await response.body.collect(upTo: 1 << 20)
            #expect(response.status == .payloadTooLarge)
            let json = try JSONSerialization.jsonObject(with: Data(buffer: answer)) as? [String: Any]
            #expect(json?["reason"] as? String == "body over 25 MB")
            #expect(try await gateway.rowsWritten() == 0)
        }
    }

    @Test(arguments: ["{not json", "[1,2,3]", "", "\"text\""])
    func malformedJSONWithAValidSignatureIsRejectedAndWritesNothing(text: String) async throws {
        try await GatewayHarness.run { gateway in
            let answer = try await gateway.sendRaw("issue_comment", Data(text.utf8))
            #expect(answer.status == .badRequest)
            #expect(answer.body["reason"] as? String == "body is not a JSON object")
            #expect(try await gateway.rowsWritten() == 0)
        }
    }

    /// An absent or empty `X-GitHub-Event`.
    @Test(arguments: [nil, ""] as [String?])
    func missingEventOrDeliveryHeadersAreRejected(event: String?) async throws {
        try await GatewayHarness.run { gateway in
            let answer = try await gateway.sendRaw(event, try GatewayHarness.comment("@porter fix").data)
            #expect(answer.status == .badRequest)
            #expect(answer.body["reason"] as? String == "missing X-GitHub-Event or X-GitHub-Delivery")
            #expect(try await gateway.rowsWritten() == 0)
        }
    }

    /// An absent, empty or over-long `X-GitHub-Delivery` on a correctly signed command.
    @Test(arguments: [nil, "", String(repeating: "d", count: 101)] as [String?])
    func aDeliveryWithoutAUsableDeliveryIDIsRejectedAndWritesNothing(delivery: String?) async throws {
        try await GatewayHarness.run { gateway in
            let body = try GatewayHarness.comment("@porter claude fix it").data
            let answer = try await gateway.sendRaw("issue_comment", body, delivery: delivery)
            #expect(answer.status == .badRequest)
            #expect(answer.body["reason"] as? String == "missing X-GitHub-Event or X-GitHub-Delivery")
            #expect(try await gateway.rowsWritten() == 0)
            // The same bytes with a delivery ID are a command: the header alone was refused.
            #expect(try await gateway.sendRaw("issue_comment", body).status == .accepted)
            #expect(try await gateway.count("tasks") == 1)
        }
    }

    /// Variations of a real command comment, each a path and a JSON value (nil removes it).
    @Test(
        arguments: [
            ("comment.user.type", #""Bot""#, "ignored: comment by a bot"),
            ("comment.performed_via_github_app", #"{"id": 1, "slug": "porter"}"#, "ignored: comment by a bot"),
            ("action", #""edited""#, "ignored: issue_comment.edited is not a command"),
            ("action", #""deleted""#, "ignored: issue_comment.deleted is not a command"),
            ("comment.body", #""> @porter claude fix\nquoted only""#, "ignored: no mention"),
            ("installation", nil, "ignored: no installation"),
        ] as [(String, String?, String)])
    func commentsThatAreNotCommandsAreRecordedAndIgnored(path: String, json: String?, outcome: String) async throws {
        let value = try json.map { try JSONSerialization.jsonObject(with: Data($0.utf8), options: .fragmentsAllowed) }
        let payload = try GatewayHarness.comment("@porter claude fix it").setting(path, value)
        try await GatewayHarness.run { gateway in
            let answer = try await gateway.send("issue_comment", payload)
            #expect(answer.status == .ok)
            #expect(answer.body["outcome"] as? String == outcome)
            #expect(try await gateway.count("tasks") == 0)
            #expect(try await gateway.count("webhook_deliveries") == 1)
        }
    }

    @Test func porterOwnAppCommentsAreIgnoredBySlug() async throws {
        try await GatewayHarness.run(settings: ["GITHUB_APP_SLUG": "porter-app"]) { gateway in
            let payload = try GatewayHarness.comment("@porter claude fix it").setting(
                "comment.user.login", "porter-app[bot]")
            #expect(
                try await gateway.send("issue_comment", payload).body["outcome"] as? String
                    == "ignored: comment by a bot")
            #expect(try await gateway.count("tasks") == 0)
        }
    }

    /// `PORTER_ALLOWED_BOTS` lets named bots command Porter; every other bot, and Porter's own bot
    /// even when listed, stays ignored.
    @Test func onlyAllowedBotsCommandAndPorterItselfNever() async throws {
        let settings = ["GITHUB_APP_SLUG": "porter-app", "PORTER_ALLOWED_BOTS": "Renovate[bot], porter-app[bot]"]
        try await GatewayHarness.run(settings: settings) { gateway in
            func from(_ login: String) throws -> JSONObject {
                try GatewayHarness.comment("@porter claude bump it").setting("comment.user.login", login)
                    .setting("comment.user.type", "Bot")
            }
            let renovate = try await gateway.send("issue_comment", try from("renovate[bot]"), delivery: "renovate")
            #expect(renovate.status == .accepted, "\(renovate.body)")
            let other = try await gateway.send("issue_comment", try from("dependabot[bot]"), delivery: "dependabot")
            #expect(other.body["outcome"] as? String == "ignored: comment by a bot")
            let itself = try await gateway.send("issue_comment", try from("porter-app[bot]"), delivery: "itself")
            #expect(itself.body["outcome"] as? String == "ignored: comment by a bot")
            #expect(try await gateway.tasks().map(\.requester.login) == ["renovate[bot]"])
        }
    }

    @Test func aMalformedBotListStopsTheGatewayNamingIt() throws {
        var environment = ServiceEnvironment.minimal(
            for: "webhook-gateway", database: try DatabaseURL.parse("postgres://u:p@127.0.0.1:5432/porter"))
        environment["PORTER_ALLOWED_BOTS"] = "renovate[bot], not a login"
        let error = try #require(throws: ConfigurationError.self) {
            try WebhookGatewayConfig.load(from: environment)
        }
        #expect(error.variables == ["PORTER_ALLOWED_BOTS"])
        #expect(error.description.contains("`not a login` is not one"))
        environment["PORTER_ALLOWED_BOTS"] = " Renovate[bot] ,my-ci-bot"
        #expect(try WebhookGatewayConfig.load(from: environment).allowedBots == ["renovate[bot]", "my-ci-bot"])
    }

    @Test func unknownFlagsAreAnsweredThroughTheSideEffectQueue() async throws {
        try await GatewayHarness.run { gateway in
            let answer = try await gateway.send(
                "issue_comment", try GatewayHarness.comment("@porter claude --turbo fix"), delivery: "bad-flag")
            #expect(answer.body["outcome"] as? String == "replied")
            #expect(try await gateway.count("tasks") == 0)
            let body = try await gateway.database.query(
                "SELECT payload->>'body', kind, dedupe_key FROM github_side_effects"
            ).collect().first?.decode((String, String, String).self)
            #expect(body?.0.contains("`--turbo` is not a flag Porter knows") == true)
            #expect(body?.1 == "create_comment")
            #expect(body?.2 == "delivery:bad-flag:reply")
        }
    }

    @Test func helpIsAnsweredThroughTheSideEffectQueue() async throws {
        try await GatewayHarness.run { gateway in
            _ = try await gateway.send("issue_comment", try GatewayHarness.comment("@porter help"))
            let body = try await gateway.database.query("SELECT payload->>'body' FROM github_side_effects").collect()
                .first?
                .decode(String.self)
            #expect(body?.contains("@porter stop | retry | status | help") == true)
        }
    }

    @Test(arguments: [ControlVerb.stop, .retry, .status])
    func controlVerbsBecomeDurableRequests(verb: ControlVerb) async throws {
        try await GatewayHarness.run { gateway in
            let payload = try GatewayHarness.comment("@porter \(verb.rawValue)")
            let answer = try await gateway.send("issue_comment", payload)
            #expect(answer.body["outcome"] as? String == "control: \(verb.rawValue)")
            let stored = try await gateway.database.query("SELECT payload::text FROM jobs WHERE kind = 'control'")
                .collect()
                .first?.decode(String.self)
            let request = try JSONDecoder().decode(ControlRequest.self, from: Data(try #require(stored).utf8))
            #expect(request.verb == verb)
            #expect(request.context.issue.number == payload.get("issue.number") as? Int)
            #expect(request.context.requester.login == payload.get("comment.user.login") as? String)
        }
    }

    @Test func aCommenterWithoutAnAgentGetsTheirDefaultElseOpencode() async throws {
        try await GatewayHarness.run { gateway in
            _ = try await gateway.send("issue_comment", try GatewayHarness.comment("@porter fix it"))
            let userID = try GatewayHarness.comment("").get("comment.user.id") as! Int
            try await gateway.database.query("INSERT INTO users (id, login) VALUES (\(userID), 'someone')")
            try await gateway.database.query(
                "INSERT INTO user_settings (user_id, default_agent, default_model) VALUES (\(userID), 'codex', 'o3')")
            _ = try await gateway.send("issue_comment", try GatewayHarness.comment("@porter fix it again"))
            let tasks = try await gateway.tasks()
            #expect(tasks.map(\.request.agent) == [.opencode, .codex])
            #expect(tasks.map(\.request.model) == [nil, "o3"])
        }
    }

    /// `script` runs the instructions as a shell script: no command names it, and a settings row that
    /// does (written by hand, or by an older version) makes nobody's tasks run it.
    @Test func aStoredDefaultOfScriptIsNeverATasksAgent() async throws {
        try await GatewayHarness.run { gateway in
            let userID = try GatewayHarness.comment("").get("comment.user.id") as! Int
            try await gateway.database.query("INSERT INTO users (id, login) VALUES (\(userID), 'someone')")
            try await gateway.database.query(
                "INSERT INTO user_settings (user_id, default_agent, default_model) VALUES (\(userID), 'script', 'x')")
            _ = try await gateway.send("issue_comment", try GatewayHarness.comment("@porter echo owned"))
            let tasks = try await gateway.tasks()
            #expect(tasks.map(\.request.agent) == [Agent.fallback])
            #expect(tasks.map(\.request.model) == [nil], "the model went with the refused default")
            let settings = try await PostgresUserSettingsStore(client: gateway.database, logger: TestDatabase.logger)
                .settings(userID: Int64(userID))
            #expect(settings.defaultAgent == nil)
        }
    }

    /// Off (the default, as in production), `@porter demo …` is answered with the reason and starts
    /// nothing; turned on (`scripts/dev`), it is a task of the demo agent, and help lists the demo.
    @Test func aDemoCommandGetsAReplyAndNoTaskUnlessTheOperatorTurnedTheDemoOn() async throws {
        try await GatewayHarness.run { gateway in
            let answer = try await gateway.send(
                "issue_comment", try GatewayHarness.comment("@porter demo add a greeting"), delivery: "demo-off")
            #expect(answer.body["outcome"] as? String == "replied")
            #expect(try await gateway.count("tasks") == 0)
            #expect(try await gateway.count("jobs") == 0)
            let reply = try #require(
                try await gateway.database.query("SELECT payload->>'body' FROM github_side_effects").collect()
                    .first?.decode(String.self))
            #expect(reply.hasPrefix("Porter did not start anything: the command has a problem."))
            #expect(
                reply.contains(
                    "`demo` is Porter's built-in demo agent, which the operator of this Porter has not turned on "
                        + "(`PORTER_DEMO_AGENT`)"), "\(reply)")
        }
        try await GatewayHarness.run(settings: ["PORTER_DEMO_AGENT": "1"]) { gateway in
            let answer = try await gateway.send(
                "issue_comment", try GatewayHarness.comment("@porter demo add a greeting"))
            #expect(answer.status == .accepted)
            let tasks = try await gateway.tasks()
            #expect(tasks.map(\.request.agent) == [.demo])
            #expect(tasks.map(\.request.instructions) == ["add a greeting"])
            _ = try await gateway.send("issue_comment", try GatewayHarness.comment("@porter help"))
            let help = try await gateway.database.query(
                "SELECT payload->>'body' FROM github_side_effects WHERE kind = 'create_comment'"
            ).collect().first?.decode(String.self)
            #expect(help?.contains("`gemini`, and `demo`, built in") == true, "\(help ?? "no help")")
        }
    }

    @Test func closingAnIssueCancelsItsQueuedTasksAndMarksActiveOnes() async throws {
        try await GatewayHarness.run { gateway in
            let comment = try GatewayHarness.comment("@porter claude fix it")
            _ = try await gateway.send("issue_comment", comment)
            _ = try await gateway.send("issue_comment", comment)
            let tasks = try await gateway.tasks()
            let repository = PostgresTaskRepository(client: gateway.database, logger: TestDatabase.logger)
            _ = try await repository.transition(id: tasks[0].id, to: .dispatching, reason: nil)
            _ = try await repository.transition(id: tasks[0].id, to: .running, reason: nil)

            let closed = comment.setting("action", "closed").setting("comment", nil)
            let answer = try await gateway.send("issues", closed)
            #expect(answer.body["outcome"] as? String == "issue closed: 1 cancelled, 1 stopping")
            #expect(try await repository.find(id: tasks[1].id)?.status == .cancelled)
            #expect(try await repository.find(id: tasks[0].id)?.status == .running)
            #expect(
                try await gateway.count("tasks", where: "id = '\(tasks[0].id)' AND cancel_requested_at IS NOT NULL")
                    == 1)
            #expect(try await gateway.count("jobs", where: "kind = 'cancel' AND task_id = '\(tasks[0].id)'") == 1)
        }
    }

    @Test func installationEventsKeepTheInstallationsTableCurrent() async throws {
        try await GatewayHarness.run { gateway in
            let created = try Fixtures.webhook("installation.created")
            let id = created.get("installation.id") as! Int
            _ = try await gateway.send("installation", created)
            #expect(try await gateway.count("installations", where: "id = \(id) AND deleted_at IS NULL") == 1)
            let repositories = (created.get("repositories") as? [Any])?.count ?? 0
            #expect(
                try await gateway.count("installation_repositories", where: "installation_id = \(id)") == repositories)

            let added = try Fixtures.webhook("installation_repositories.added")
            let addedID = added.get("installation.id") as! Int
            let addedCount = (added.get("repositories_added") as? [Any])?.count ?? 0
            _ = try await gateway.send("installation_repositories", added)
            #expect(
                try await gateway.count("installation_repositories", where: "installation_id = \(addedID)")
                    >= addedCount)

            _ = try await gateway.send(
                "issue_comment", try GatewayHarness.comment("@porter fix").setting("installation.id", id))
            let deleted = try Fixtures.webhook("installation.deleted").setting("installation.id", id)
            let answer = try await gateway.send("installation", deleted)
            #expect(answer.body["outcome"] as? String == "installation deleted: 1 cancelled, 0 stopping")
            #expect(try await gateway.count("installations", where: "id = \(id) AND deleted_at IS NOT NULL") == 1)
            #expect(try await gateway.count("tasks", where: "status = 'cancelled'") == 1)
        }
    }

    @Test func deliveriesAreCountedByEventAndOutcome() async throws {
        try await GatewayHarness.run { gateway in
            _ = try await gateway.send("issue_comment", try GatewayHarness.comment("@porter fix"))
            _ = try await gateway.sendRaw("issue_comment", Data("{}".utf8), signature: "sha256=00")
            try await gateway.client.execute(uri: "/metrics", method: .get) { response in
                let text = String(buffer: response.body)
                #expect(
                    text.contains(
                        #"porter_webhook_gateway_deliveries_total{event="issue_comment",outcome="task_created"} 1"#))
                #expect(
                    text.contains(
                        #"porter_webhook_gateway_deliveries_total{event="unverified",outcome="unauthorized"} 1"#))
                #expect(text.contains("porter_webhook_gateway_ack_duration_seconds_count 2"))
            }
        }
    }
}
