import AsyncHTTPClient
import Foundation
import PorterEmulators
import PorterKit
import PorterTestSupport
import Testing

/// The emulator and the client both speak the field names of Fly's published swagger. The swagger
/// lives in the team's shared reference folder beside the repository (CI always has it); a clone
/// without it fails these tests, naming the file, rather than skipping them.
@Suite struct FlySwaggerAgreementTests {
    /// `../shared/reference/fly/machines-api.swagger.json`, next to the repository.
    static let swaggerURL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("shared/reference/fly/machines-api.swagger.json")

    /// The swagger document, or an error naming where it was expected.
    static func swagger() throws -> [String: Any] {
        guard let data = FileManager.default.contents(atPath: swaggerURL.path) else {
            throw TestSetupError(
                "Fly's swagger \(swaggerURL.path) is missing: these tests read it from ../shared beside the repository")
        }
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// The property names of each swagger definition.
    static func definitions() throws -> [String: Set<String>] {
        let definitions = try #require(try swagger()["definitions"] as? [String: [String: Any]])
        return definitions.mapValues { Set(($0["properties"] as? [String: Any])?.keys ?? [:].keys) }
    }

    static func keys(_ object: Any?) -> Set<String> { Set((object as? [String: Any])?.keys ?? [:].keys) }

    @Test func theEmulatorsMachineCarriesOnlySwaggerPropertiesAndAllTheClientReads() async throws {
        let schema = try Self.definitions()
        try await FlyHarness.withEmulator { _, url in
            let created = try await FlyHarness.client(url).createMachine(
                app: FlyHarness.app, FlyHarness.request(name: "swagger", metadata: ["k": "v"], env: ["A": "b"]))
            var request = HTTPClientRequest(url: "\(url)/v1/apps/\(FlyHarness.app)/machines/\(created.id)")
            request.headers.add(name: "Authorization", value: FlyHarness.orgToken)
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(5))
            let body = try await response.body.collect(upTo: 1 << 20)
            let machine = try #require(try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any])
            let config = machine["config"] as? [String: Any]

            #expect(Self.keys(machine).subtracting(try #require(schema["Machine"])).isEmpty)
            #expect(Self.keys(config).subtracting(try #require(schema["fly.MachineConfig"])).isEmpty)
            #expect(Self.keys(config?["guest"]).subtracting(try #require(schema["fly.MachineGuest"])).isEmpty)
            #expect(Self.keys(config?["restart"]).subtracting(try #require(schema["fly.MachineRestart"])).isEmpty)

            let readByClient: Set = [
                "id", "name", "state", "region", "instance_id", "private_ip", "config", "created_at", "updated_at",
            ]
            #expect(readByClient.subtracting(Self.keys(machine)).isEmpty)
            #expect(Self.keys(config) == ["image", "env", "guest", "auto_destroy", "restart", "metadata"])
            #expect(Self.keys(config?["guest"]) == ["cpu_kind", "cpus", "memory_mb"])
        }
    }

    @Test func theClientsRequestBodiesUseOnlySwaggerProperties() throws {
        let schema = try Self.definitions()
        let request = FlyHarness.request(name: "n", metadata: ["TASK_ID": "1"], env: ["PORTER_TASK_ID": "1"])
        let body = try JSONSerialization.jsonObject(with: JSONEncoder().encode(request)) as? [String: Any]
        let config = body?["config"] as? [String: Any]
        #expect(Self.keys(body).subtracting(try #require(schema["CreateMachineRequest"])).isEmpty)
        #expect(Self.keys(config).subtracting(try #require(schema["fly.MachineConfig"])).isEmpty)
        #expect(Self.keys(config?["guest"]).subtracting(try #require(schema["fly.MachineGuest"])).isEmpty)
        // Env and metadata keys are the caller's, not field names: they must reach Fly unchanged.
        #expect(Self.keys(config?["env"]) == ["PORTER_TASK_ID"])
        #expect(Self.keys(config?["metadata"]) == ["TASK_ID"])
    }

    @Test func theStatesTheClientWaitsForAreTheSwaggersWaitStates() throws {
        let paths = try #require(try Self.swagger()["paths"] as? [String: Any])
        let wait = (paths["/apps/{app_name}/machines/{machine_id}/wait"] as? [String: Any])?["get"] as? [String: Any]
        let parameters = try #require(wait?["parameters"] as? [[String: Any]])
        let state = try #require(parameters.first { $0["name"] as? String == "state" })
        let names = Set(try #require(state["enum"] as? [String]))
        #expect(names == Set([MachineState.started, .stopped, .destroyed].map(\.rawValue)))
        #expect(parameters.contains { $0["name"] as? String == "instance_id" })
    }
}
