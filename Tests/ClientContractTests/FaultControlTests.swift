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
}
