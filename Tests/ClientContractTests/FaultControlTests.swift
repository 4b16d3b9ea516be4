import Foundation
import Hummingbird
import HummingbirdTesting
import PorterEmulators
import Testing

/// The control routes standalone emulators expose for injecting faults.
@Suite struct FaultControlTests {
    func app(_ faults: FaultInjector) -> some ApplicationProtocol {
        let router = Router()
        router.add(middleware: FaultMiddleware(faults))
        faults.addControlRoutes(to: router)
        router.get("/repos/o/r") { _, _ in #"{"id":1}"# }
        router.get("/repos/o/r/pulls") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: #"[{"number":1,"base":{"ref":"main","sha":"abc"}}]"#)))
        }
        return Application(router: router)
    }

    @Test func postedRulesReplaceAnswersUntilUsedUpOrCleared() async throws {
        let faults = FaultInjector()
        try await app(faults).test(.router) { client in
            let rule = #"{"status":503,"headers":{},"body":"down","remaining":1,"probability":1,"afterHandling":false}"#
            try await client.execute(uri: "/_emulator/faults", method: .post, body: ByteBuffer(string: rule)) {
                #expect($0.status == .noContent)
            }
            try await client.execute(uri: "/repos/o/r", method: .get) {
                #expect($0.status == .serviceUnavailable)
                #expect(String(buffer: $0.body) == "down")
            }
            try await client.execute(uri: "/repos/o/r", method: .get) { #expect($0.status == .ok) }
            faults.add(.init(status: 500))
            try await client.execute(uri: "/_emulator/faults", method: .delete) { #expect($0.status == .noContent) }
            try await client.execute(uri: "/repos/o/r", method: .get) { #expect($0.status == .ok) }
        }
        #expect(faults.injectedCount == 1)
    }

    @Test func afterHandlingRulesLetTheRequestTakeEffect() async throws {
        let faults = FaultInjector()
        faults.add(.init(method: "GET", pathPrefix: "/repos", status: 502, remaining: 1, afterHandling: true))
        try await app(faults).test(.router) { client in
            try await client.execute(uri: "/repos/o/r", method: .get) { #expect($0.status == .badGateway) }
            try await client.execute(uri: "/other", method: .get) { #expect($0.status == .notFound) }
        }
    }

    @Test func postedReshapesChangeTheRealAnswerUntilUsedUpOrCleared() async throws {
        let faults = FaultInjector()
        try await app(faults).test(.router) { client in
            let reshape =
                #"{"pathPrefix":"/repos/o/r/pulls","remove":["base.sha"],"set":{"number":"\"one\"","new":"[1]"},"remaining":1}"#
            try await client.execute(uri: "/_emulator/reshapes", method: .post, body: ByteBuffer(string: reshape)) {
                #expect($0.status == .noContent)
            }
            try await client.execute(uri: "/repos/o/r/pulls", method: .get) {
                #expect($0.status == .ok)
                let json = try JSONSerialization.jsonObject(with: Data(buffer: $0.body)) as? [[String: Any]]
                #expect(json?.first?["number"] as? String == "one")
                #expect((json?.first?["new"] as? [Int]) == [1])
                #expect((json?.first?["base"] as? [String: Any])?.keys.sorted() == ["ref"])
            }
            try await client.execute(uri: "/repos/o/r/pulls", method: .get) {
                #expect(String(buffer: $0.body).contains(#""sha":"abc""#))
            }
            faults.add(FaultInjector.Reshape(remove: ["id"]))
            try await client.execute(uri: "/_emulator/reshapes", method: .delete) { #expect($0.status == .noContent) }
            try await client.execute(uri: "/repos/o/r", method: .get) {
                #expect(String(buffer: $0.body) == #"{"id":1}"#)
            }
        }
        #expect(faults.injectedCount == 1)
    }
}
