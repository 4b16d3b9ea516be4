import Foundation
import PorterEmulators
import PorterKit
import Testing

@Suite struct FlyMetadataFilterTests {
    @Test func listingByMetadataReturnsOnlyMatchingMachines() async throws {
        try await FlyHarness.withEmulator { emulator, url in
            let fly = FlyHarness.client(url)
            let wanted = try await fly.createMachine(
                app: FlyHarness.app, FlyHarness.request(metadata: ["porter_task_id": "a b&c", "porter_attempt": "2"]))
            _ = try await fly.createMachine(
                app: FlyHarness.app, FlyHarness.request(metadata: ["porter_task_id": "a b&c", "porter_attempt": "1"]))
            _ = try await fly.createMachine(app: FlyHarness.app, FlyHarness.request(metadata: ["other": "x"]))

            let found = try await fly.machines(
                app: FlyHarness.app, metadata: ["porter_task_id": "a b&c", "porter_attempt": "2"])
            #expect(found.map(\.id) == [wanted.id])
            #expect(try await fly.machines(app: FlyHarness.app).count == 3)
            // The filter travels to Fly as `metadata.<key>=<value>`, decoded intact on the other side.
            let query = try #require(
                emulator.receivedRequests.last { $0.action == "list_machines" && !$0.query.isEmpty })
            #expect(query.query["metadata.porter_task_id"] == "a b&c")
        }
    }
}
