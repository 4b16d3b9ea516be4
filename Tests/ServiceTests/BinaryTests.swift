import AsyncHTTPClient
import Foundation
import NIOCore
import PorterKit
import PorterTestSupport
import PostgresNIO
import Testing

/// The operator contract, checked on the real binaries as an operator would run them.
@Suite(.serialized) struct BinaryTests {
    @Test func migrateOnAnEmptyDatabaseThenEveryServiceServes() async throws {
        try await TestDatabase.withDatabase(migrated: false) { url in
            let migrate = try ServiceProcess.start(
                "web-api", arguments: ["migrate"], environment: ["DATABASE_URL": url.connectionString])
            defer { migrate.terminate() }
            #expect(await migrate.waitForExit(timeout: .seconds(60)) == 0, "\(migrate.output)")

            var running: [ServiceProcess] = []
            defer { running.forEach { $0.terminate() } }
            for service in ServiceEnvironment.services {
                let port = try ServiceProcess.freePort()
                let process = try ServiceProcess.start(
                    service, environment: ServiceEnvironment.minimal(for: service, database: url, port: port),
                    port: port)
                running.append(process)
            }
            for process in running {
                try await process.waitUntilServing()
                let ready = try await process.get("/readyz")
                #expect(ready.status == 200, "\(process.name): \(ready.body)")
                let metrics = try await process.get("/metrics")
                #expect(metrics.status == 200)
                #expect(metrics.body.contains("# TYPE process_cpu_seconds_total gauge"))
                let series = "porter_\(process.name.replacingOccurrences(of: "-", with: "_"))_http_requests_total"
                #expect(metrics.body.contains(#"\#(series){route="/readyz",method="GET",status="200"} 1"#))
            }
            for process in running { process.signal(SIGTERM) }
            for process in running {
                #expect(await process.waitForExit(timeout: .seconds(10)) == 0, "\(process.name): \(process.output)")
            }
        }
    }

    @Test func aMissingDatabaseURLAndWebhookSecretAreBothNamed() async throws {
        let process = try ServiceProcess.start("webhook-gateway", environment: ["HOST": "127.0.0.1"])
        defer { process.terminate() }
        #expect(await process.waitForExit(timeout: .seconds(10)) == ServiceCommand.configurationExitCode)
        #expect(process.output.contains("DATABASE_URL: is required but not set"))
        #expect(process.output.contains("GITHUB_WEBHOOK_SECRET: is required but not set"))
    }

    @Test func theDispatcherRefusesASideEffectPatienceThatIsNoDuration() async throws {
        let url = try DatabaseURL.parse("postgres://porter@127.0.0.1:1/porter")
        var environment = ServiceEnvironment.minimal(for: "dispatcher", database: url)
        environment["PORTER_SIDE_EFFECT_PATIENCE"] = "a day"
        let process = try ServiceProcess.start("dispatcher", environment: environment)
        defer { process.terminate() }
        #expect(await process.waitForExit(timeout: .seconds(10)) == ServiceCommand.configurationExitCode)
        #expect(process.output.contains("PORTER_SIDE_EFFECT_PATIENCE: must be a positive duration"))
    }

    @Test func configurationErrorsNeverEchoSecretValues() async throws {
        let process = try ServiceProcess.start(
            "web-api",
            environment: [
                "DATABASE_URL": "postgres://u:pw@h/db", "PORTER_SESSION_SECRET": "too-short-secret-value",
                "GITHUB_APP_PRIVATE_KEY": "-----BEGIN PRIVATE KEY-----\nleakme\n-----END PRIVATE KEY-----",
            ])
        defer { process.terminate() }
        #expect(await process.waitForExit(timeout: .seconds(10)) == ServiceCommand.configurationExitCode)
        #expect(process.output.contains("PORTER_SESSION_SECRET: must be at least 32 bytes long"))
        #expect(process.output.contains("GITHUB_APP_PRIVATE_KEY: must be an RSA private key"))
        #expect(!process.output.contains("too-short-secret-value"))
        #expect(!process.output.contains("leakme"))
    }

    @Test func helpDescribesServingAndMigrating() async throws {
        let process = try ServiceProcess.start("dispatcher", arguments: ["--help"], environment: [:])
        defer { process.terminate() }
        #expect(await process.waitForExit(timeout: .seconds(10)) == 0)
        #expect(process.output.contains("serve (default)"))
        #expect(process.output.contains("migrate"))
    }

    @Test func twoMigrateRunsAtTheSameMomentBothSucceedAndApplyEachMigrationOnce() async throws {
        try await TestDatabase.withDatabase(migrated: false) { url in
            let runs = try ["watchdog", "dispatcher"].map {
                try ServiceProcess.start(
                    $0, arguments: ["migrate"], environment: ["DATABASE_URL": url.connectionString])
            }
            defer { runs.forEach { $0.terminate() } }
            for run in runs { #expect(await run.waitForExit(timeout: .seconds(60)) == 0, "\(run.output)") }
            let counts = try await withPostgres(url, logger: TestDatabase.logger) { client in
                try await client.query("SELECT version, count(*) FROM schema_migrations GROUP BY version").collect()
                    .map { try $0.decode((Int, Int).self) }
            }
            #expect(counts.map(\.0).sorted() == Migration.all.map(\.version))
            #expect(counts.allSatisfy { $0.1 == 1 })
        }
    }

    @Test func aServiceOnADatabaseThatIsBehindSaysWhyInItsLog() async throws {
        try await TestDatabase.withDatabase(migrated: false) { url in
            let port = try ServiceProcess.freePort()
            let process = try ServiceProcess.start(
                "watchdog", environment: ServiceEnvironment.minimal(for: "watchdog", database: url, port: port),
                port: port)
            defer { process.terminate() }
            try await process.waitUntilServing()
            let ready = try await process.get("/readyz")
            #expect(ready.status == 503)
            #expect(ready.body.contains("schema is behind"))
            #expect(process.output.contains("not ready: schema is behind"))
        }
    }

    @Test func everyServiceStopsAtOnceOnSIGTERMWhileItsDatabaseIsUnreachable() async throws {
        // Nothing listens on this port: every database call waits for a connection that never comes.
        let url = try DatabaseURL.parse("postgres://porter@127.0.0.1:\(try ServiceProcess.freePort())/porter")
        var running: [ServiceProcess] = []
        defer { running.forEach { $0.terminate() } }
        for service in ServiceEnvironment.services {
            let port = try ServiceProcess.freePort()
            running.append(
                try ServiceProcess.start(
                    service, environment: ServiceEnvironment.minimal(for: service, database: url, port: port),
                    port: port))
        }
        for process in running { try await process.waitUntilServing() }
        for process in running { process.signal(SIGTERM) }
        // Well inside the 8 s grace: nothing waits out its database calls before stopping.
        for process in running {
            #expect(
                await process.waitForExit(timeout: .seconds(4)) == 0, "\(process.name): \(process.output.suffix(2000))")
        }
    }

    @Test func aDeliveryWhileTheDatabaseIsDownIsRefusedWithA503BeforeGitHubStopsListening() async throws {
        // Nothing listens on this port, as while PostgreSQL restarts: the delivery cannot be stored.
        let url = try DatabaseURL.parse("postgres://porter@127.0.0.1:\(try ServiceProcess.freePort())/porter")
        let port = try ServiceProcess.freePort()
        let process = try ServiceProcess.start(
            "webhook-gateway",
            environment: ServiceEnvironment.minimal(for: "webhook-gateway", database: url, port: port), port: port)
        defer { process.terminate() }
        try await process.waitUntilServing()

        let body = try GatewayHarness.comment("@porter claude fix the flaky login test").data
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/webhooks/github")
        request.method = .POST
        for field in GatewayHarness.headers(event: "issue_comment", delivery: UUID().uuidString, body: body) {
            request.headers.add(name: field.name.rawName, value: field.value)
        }
        request.body = .bytes(ByteBuffer(bytes: body))
        let started = ContinuousClock.now
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let waited = ContinuousClock.now - started
        let answer = String(buffer: try await response.body.collect(upTo: 1 << 20))
        // Refused, so GitHub records the delivery as failed and it can be delivered again; said after
        // the gateway's 5 s wait for a connection, well before GitHub's 10 s.
        #expect(response.status == .serviceUnavailable, "\(answer)")
        #expect(answer.contains("could not be recorded"))
        #expect(waited >= .seconds(4), "the gateway waited for its database before refusing")
        #expect(waited < .seconds(10), "GitHub stops listening after 10 s")
        #expect(process.output.contains("no database connection became available in time"), "\(process.output)")
    }

    @Test func sigtermDuringASlowRequestLetsItFinishAndExitsZero() async throws {
        try await TestDatabase.withDatabase { url in
            let port = try ServiceProcess.freePort()
            let process = try ServiceProcess.start(
                "callback-receiver",
                environment: ServiceEnvironment.minimal(for: "callback-receiver", database: url, port: port),
                port: port)
            defer { process.terminate() }
            try await process.waitUntilServing()

            // Hold a lock that /readyz's query must wait for: a request that is really in flight.
            try await TestDatabase.withConnection(url) { blocker in
                try await blocker.query("BEGIN", logger: TestDatabase.logger)
                try await blocker.query(
                    "LOCK TABLE schema_migrations IN ACCESS EXCLUSIVE MODE", logger: TestDatabase.logger)
                let slow = Task { try await process.get("/readyz") }
                // Signalled only once the request's query is waiting on the lock, however slowly it got there.
                let deadline = ContinuousClock.now + .seconds(30)
                while try await blocker.query(
                    "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'schema_migrations'::regclass",
                    logger: TestDatabase.logger
                ).collect().first!.decode(Int.self) == 0 {
                    try #require(ContinuousClock.now < deadline, "/readyz never reached the database")
                    try await Task.sleep(for: .milliseconds(50))
                }
                let signalled = ContinuousClock.now
                process.signal(SIGTERM)
                try await Task.sleep(for: .seconds(2))
                #expect(process.isRunning, "the process must wait for the in-flight request")
                try await blocker.query("COMMIT", logger: TestDatabase.logger)

                let response = try await slow.value
                #expect(response.status == 200, "\(response.body)")
                let status = await process.waitForExit(timeout: .seconds(10))
                #expect(status == 0, "\(process.output)")
                #expect(ContinuousClock.now - signalled < .seconds(10))
            }
        }
    }

    @Test func jsonLogFormatWritesOneObjectPerLine() async throws {
        try await TestDatabase.withDatabase { url in
            let port = try ServiceProcess.freePort()
            var environment = ServiceEnvironment.minimal(for: "webhook-gateway", database: url, port: port)
            environment["LOG_FORMAT"] = "json"
            let process = try ServiceProcess.start("webhook-gateway", environment: environment, port: port)
            defer { process.terminate() }
            try await process.waitUntilServing()
            process.signal(SIGTERM)
            #expect(await process.waitForExit(timeout: .seconds(10)) == 0)
            let lines = process.output.split(separator: "\n")
            #expect(lines.count >= 2)
            for line in lines {
                let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                #expect(object?["message"] is String, "not a JSON log line: \(line)")
                #expect(object?["level"] is String)
            }
            #expect(process.output.contains(#""message":"starting""#))
        }
    }

    @Test func logLevelWarningKeepsInfoLinesOut() async throws {
        try await TestDatabase.withDatabase { url in
            let port = try ServiceProcess.freePort()
            var environment = ServiceEnvironment.minimal(for: "webhook-gateway", database: url, port: port)
            environment["LOG_LEVEL"] = "warning"
            let process = try ServiceProcess.start("webhook-gateway", environment: environment, port: port)
            defer { process.terminate() }
            try await process.waitUntilServing()
            process.signal(SIGTERM)
            #expect(await process.waitForExit(timeout: .seconds(10)) == 0)
            // At the default level these lines are always written; at warning, none of them is.
            #expect(!process.output.contains("starting"), "\(process.output)")
            #expect(!process.output.contains(" info "), "\(process.output)")
        }
    }
}
