import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import PorterKit
import PorterTestSupport
import Testing

@testable import CallbackReceiver

/// The callback-receiver binary's own wiring: its configuration and the worker-facing routes it serves.
@Suite struct CallbackReceiverServiceTests {
    @Test func theServiceServesTheCallbackRoutesBehindTheTaskToken() async throws {
        try await TestDatabase.withClient { _, url in
            try await withApplication("callback-receiver", database: url, testing: .live) { client in
                let task = UUID().uuidString.lowercased()
                for (method, path) in [
                    (HTTPRequest.Method.get, "/callbacks/tasks/\(task)/attempts/1/spec"),
                    (.post, "/callbacks/tasks/\(task)/attempts/1/heartbeat"),
                    (.post, "/callbacks/tasks/\(task)/attempts/1/events"),
                ] {
                    try await client.execute(
                        uri: path, method: method, headers: [.authorization: "Bearer ptk_guess0123456789abcdefghij"],
                        body: ByteBuffer(string: "{}")
                    ) { response in
                        #expect(response.status == .unauthorized, "\(path)")
                        #expect(String(buffer: response.body) == #"{"error":"invalid or expired task token"}"#)
                    }
                }
                for path in ["/callbacks/complete", "/api/callbacks/complete"] {
                    let report = #"{"task_id":"\#(task)","status":"succeeded"}"#
                    try await client.execute(
                        uri: path, method: .post, headers: [.contentType: "application/json"],
                        body: ByteBuffer(string: report)
                    ) { response in
                        #expect(response.status == .unauthorized, "\(path)")
                    }
                    try await client.execute(uri: path, method: .post, body: ByteBuffer(string: "[]")) { response in
                        #expect(response.status == .badRequest)
                        #expect(String(buffer: response.body).contains("the body must be a JSON object"))
                    }
                }
            }
        }
    }

    @Test func aMalformedSettingIsNamedWithTheRestAtStartup() throws {
        var environment = ServiceEnvironment.minimal(
            for: "callback-receiver", database: try DatabaseURL.parse("postgres://u:p@127.0.0.1:5432/porter"))
        environment["PORTER_ALLOW_SCRIPT_AGENT"] = "sometimes"
        environment["PORTER_REAP_GRACE"] = "later"
        environment["FLY_API_URL"] = "not a url"
        let error = try #require(throws: ConfigurationError.self) {
            try CallbackReceiverConfig.load(from: environment)
        }
        #expect(Set(error.variables) == ["PORTER_ALLOW_SCRIPT_AGENT", "PORTER_REAP_GRACE", "FLY_API_URL"])
        #expect(error.description.contains("PORTER_ALLOW_SCRIPT_AGENT: must be true or false"))
    }

    @Test func theScriptAgentIsOffUnlessEnabled() throws {
        let base = ServiceEnvironment.minimal(
            for: "callback-receiver", database: try DatabaseURL.parse("postgres://u:p@127.0.0.1:5432/porter"))
        #expect(try CallbackReceiverConfig.load(from: base).allowScriptAgent == false)
        let enabled = base.merging(["PORTER_ALLOW_SCRIPT_AGENT": "true"]) { $1 }
        #expect(try CallbackReceiverConfig.load(from: enabled).allowScriptAgent)
    }
}
