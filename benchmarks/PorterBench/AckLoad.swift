import AsyncHTTPClient
import Foundation
import NIOCore
import PorterKit

/// Signed `issue_comment` deliveries posted to a webhook gateway at a steady rate, each with its own
/// delivery id, so every 2xx answer is a committed delivery, task and job. Latency runs from when a
/// request was due, not when it left, so a stalled gateway is charged for the requests queued behind it.
struct AckLoad {
    let url: String
    let body: ByteBuffer
    let signature: String
    /// Requests per second; 0 sends back to back on every connection.
    let rate: Int
    let connections: Int
    let http: HTTPClient

    /// One answered request: when it was due (seconds since the load began) and how long it took (ms).
    struct Sample {
        var due: Double
        var milliseconds: Double
        var ok: Bool
    }

    init(url: String, secret: String, rate: Int, connections: Int) throws {
        self.url = url
        let payload = try Self.payload()
        self.body = ByteBuffer(data: payload)
        self.signature = WebhookSignature(secret: secret).header(for: payload)
        self.rate = rate
        self.connections = connections
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = connections
        self.http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// Sends from `start` until `stop()` answers true, checked before every request.
    func run(from start: ContinuousClock.Instant, until stop: @escaping @Sendable () -> Bool) async -> [Sample] {
        let prefix = UUID().uuidString.prefix(8)
        return await withTaskGroup(of: [Sample].self) { group in
            for connection in 0..<connections {
                group.addTask {
                    var samples: [Sample] = []
                    var index = connection
                    while !stop() {
                        var due = ContinuousClock.now
                        if rate > 0 {
                            due = start + .seconds(Double(index) / Double(rate))
                            if due > ContinuousClock.now { try? await Task.sleep(until: due) }
                        }
                        let ok = await send(id: "retention-\(prefix)-\(index)")
                        samples.append(
                            Sample(
                                due: seconds(due - start), milliseconds: seconds(ContinuousClock.now - due) * 1000,
                                ok: ok))
                        index += connections
                    }
                    return samples
                }
            }
            return await group.reduce(into: []) { $0 += $1 }
        }
    }

    func send(id: String) async -> Bool {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "X-GitHub-Event", value: "issue_comment")
        request.headers.add(name: "X-GitHub-Delivery", value: id)
        request.headers.add(name: "X-Hub-Signature-256", value: signature)
        request.headers.add(name: "User-Agent", value: "GitHub-Hookshot/bench")
        request.body = .bytes(body)
        guard let response = try? await http.execute(request, timeout: .seconds(30)),
            (try? await response.body.collect(upTo: 1 << 20)) != nil
        else { return false }
        return (200..<300).contains(response.status.code)
    }

    func shutdown() async { try? await http.shutdown() }

    /// The tests' `issue_comment` fixture (a complete delivery in GitHub's shape) with a Porter command,
    /// trimmed of API URLs and padded to 9 KB, as `benchmarks/webhook-ack` sends it.
    static func payload() throws -> Data {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let path = root.appendingPathComponent(
            "Tests/Fixtures/github-webhooks/issue_comment.created.with-installation.payload.json"
        ).path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw BenchmarkError("the issue_comment fixture \(path) is missing")
        }
        guard var json = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw BenchmarkError("\(path) is not a JSON object")
        }
        json["organization"] = nil
        let command = "@porter claude fix the flaky login test\n"
        json[path: "comment", "body"] = command
        func size() throws -> Int { try JSONSerialization.data(withJSONObject: json).count }
        for part in ["repository", "issue", "sender", "comment"] {
            for key in (json[part] as? [String: Any] ?? [:]).keys.sorted()
            where key.hasSuffix("_url") && key != "html_url" {
                if try size() <= 9216 { break }
                json[path: part, key] = nil
            }
        }
        json[path: "comment", "body"] = command + String(repeating: "x", count: max(0, 9216 - (try size())))
        return try JSONSerialization.data(withJSONObject: json)
    }
}

extension Dictionary where Key == String, Value == Any {
    /// A value one object down, e.g. `json[path: "comment", "body"]`.
    fileprivate subscript(path object: String, key: String) -> Any? {
        get { (self[object] as? [String: Any])?[key] }
        set {
            var inner = self[object] as? [String: Any] ?? [:]
            inner[key] = newValue
            self[object] = inner
        }
    }
}
