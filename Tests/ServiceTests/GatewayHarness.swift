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

/// Sends signed deliveries to the gateway and reads what they left in its database.
struct GatewayHarness {
    static let secret = "test-webhook-secret"
    /// Every gateway test talks to a real server on a loopback port, so HTTP framing, the
    /// `Content-Length` check and the body limit are exercised as GitHub exercises them.
    static var testing: TestingSetup { .live }
    let client: any TestClientProtocol
    let database: PostgresClient

    static func comment(_ body: String) throws -> JSONObject {
        try Fixtures.webhook("issue_comment.created.with-installation").setting("comment.body", body)
    }

    /// GitHub's headers for a delivery; a nil `event` or `delivery` leaves that header out.
    static func headers(event: String?, delivery: String?, body: Data, signature: String? = nil) -> HTTPFields {
        var headers = HTTPFields()
        if let event { headers[HTTPField.Name("X-GitHub-Event")!] = event }
        if let delivery { headers[HTTPField.Name("X-GitHub-Delivery")!] = delivery }
        headers[HTTPField.Name("X-Hub-Signature-256")!] =
            signature ?? WebhookSignature(secret: secret).header(for: body)
        headers[.contentType] = "application/json"
        headers[.userAgent] = "GitHub-Hookshot/044aadd"
        return headers
    }

    /// Sends `payload` as `event`, signed, and returns the status and the JSON answer.
    @discardableResult
    func send(
        _ event: String, _ payload: JSONObject, delivery: String = UUID().uuidString, path: String = "/webhooks/github"
    ) async throws -> (status: HTTPResponse.Status, body: [String: Any]) {
        try await sendRaw(event, payload.data, delivery: delivery, path: path)
    }

    func sendRaw(
        _ event: String?, _ body: Data, delivery: String? = UUID().uuidString, signature: String? = nil,
        path: String = "/webhooks/github"
    ) async throws -> (status: HTTPResponse.Status, body: [String: Any]) {
        try await client.execute(
            uri: path, method: .post,
            headers: Self.headers(event: event, delivery: delivery, body: body, signature: signature),
            body: ByteBuffer(bytes: body)
        ) { response in
            let json = (try? JSONSerialization.jsonObject(with: Data(buffer: response.body))) as? [String: Any] ?? [:]
            return (response.status, json)
        }
    }

    /// `copies` of one signed delivery, `inFlight` at a time: concurrent enough to race.
    func storm(
        _ event: String, _ body: Data, delivery: String, copies: Int, inFlight: Int = 16
    ) async throws -> [HTTPResponse.Status] {
        try await sendAll(event, Array(repeating: (id: delivery, body: body), count: copies), inFlight: inFlight)
    }

    /// Each of `deliveries` (its id and body) as `event`, `inFlight` at a time over as many connections of
    /// their own, so copies of a delivery really arrive at once; the statuses in order of answer.
    ///
    /// Each answer may take up to `patience`, counted from its send: on a loaded 2-core CI machine a
    /// commit can wait seconds behind other tests' work, and what is checked here is that every delivery
    /// is answered and counted exactly once, not how fast (benchmarks/gateway measures that).
    func sendAll(
        _ event: String, _ deliveries: [(id: String, body: Data)], inFlight: Int = 16,
        patience: TimeAmount = .minutes(2)
    ) async throws -> [HTTPResponse.Status] {
        let url = "http://127.0.0.1:\(try #require(client.port))/webhooks/github"
        var configuration = HTTPClient.Configuration(
            timeout: .init(connect: .seconds(30), read: patience),
            connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: inFlight))
        configuration.decompression = .disabled
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                var statuses: [HTTPResponse.Status] = []
                for (index, delivery) in deliveries.enumerated() {
                    if index >= inFlight, let status = try await group.next() { statuses.append(status) }
                    var request = HTTPClientRequest(url: url)
                    request.method = .POST
                    for field in Self.headers(event: event, delivery: delivery.id, body: delivery.body) {
                        request.headers.add(name: field.name.rawName, value: field.value)
                    }
                    request.body = .bytes(ByteBuffer(bytes: delivery.body))
                    group.addTask { [request] in
                        let response = try await http.execute(request, timeout: patience)
                        _ = try await response.body.collect(upTo: 1 << 20)
                        return HTTPResponse.Status(code: Int(response.status.code))
                    }
                }
                for try await status in group { statuses.append(status) }
                return statuses
            }
            try await http.shutdown()
            return statuses
        } catch {
            try? await http.shutdown()
            throw error
        }
    }

    func count(_ table: String, where condition: String = "true") async throws -> Int {
        try await database.query(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table) WHERE \(condition)"))
            .collect().first!.decode(Int.self)
    }

    /// Everything the gateway writes, summed: zero means a rejected delivery left no trace.
    func rowsWritten() async throws -> Int {
        var total = 0
        for table in [
            "webhook_deliveries", "tasks", "jobs", "task_events", "github_side_effects", "installations",
            "installation_repositories",
        ] {
            total += try await count(table)
        }
        return total
    }

    func tasks() async throws -> [PorterTask] {
        let ids = try await database.query("SELECT id FROM tasks ORDER BY created_at").collect().map {
            try $0.decode(UUID.self)
        }
        let repository = PostgresTaskRepository(client: database, logger: TestDatabase.logger)
        var tasks: [PorterTask] = []
        for id in ids { if let task = try await repository.find(id: id) { tasks.append(task) } }
        return tasks
    }

    /// The status and cancellation mark of one task, read straight from its row.
    func state(of task: UUID) async throws -> (status: String, reason: String?, cancelRequested: Bool) {
        try await database.query(
            "SELECT status, status_reason, cancel_requested_at IS NOT NULL FROM tasks WHERE id = \(task)"
        ).collect().first!.decode((String, String?, Bool).self)
    }

    /// Runs `body` against a live gateway on a fresh migrated database, its minimal environment
    /// amended by `settings`.
    static func run(
        settings: [String: String] = [:], _ body: @escaping @Sendable (GatewayHarness) async throws -> Void
    ) async throws {
        try await TestDatabase.withClient { database, url in
            let environment = ServiceEnvironment.minimal(for: "webhook-gateway", database: url).merging(settings) { $1 }
            try await withApplication("webhook-gateway", database: url, environment: environment, testing: testing) {
                client in
                try await body(GatewayHarness(client: client, database: database))
            }
        }
    }
}
