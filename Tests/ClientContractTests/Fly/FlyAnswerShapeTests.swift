import Foundation
import PorterEmulators
import PorterKit
import Testing

/// Fly answering in a shape Porter did not expect: fields Porter never reads missing, of another type
/// or new (a restart policy or guest field Fly describes differently) change nothing.
@Suite struct FlyAnswerShapeTests {
    typealias Reshape = FaultInjector.Reshape

    @Test func appAnswersWithoutTheirUnreadFieldsStillValidateTheToken() async throws {
        try await FlyHarness.withEmulator { emulator, url in
            emulator.faults.add(
                Reshape(
                    method: "GET", pathPrefix: "/v1/apps/\(FlyHarness.app)", remove: ["id", "status"],
                    set: ["organization.name": "5", "network": #"{"id":1}"#]))
            emulator.faults.add(
                Reshape(
                    method: "GET", pathPrefix: "/v1/apps", remove: ["total_apps", "apps.id", "apps.machine_count"],
                    set: ["apps.status": "3"]))
            let org = FlyHarness.client(url, token: FlyHarness.orgToken)
            let deploy = FlyHarness.client(url, token: FlyHarness.appToken)
            let orgSetup = await org.validate(app: nil, org: FlyHarness.org)
            let apps = try await org.apps(org: FlyHarness.org)
            let appSetup = await deploy.validate(app: FlyHarness.app, org: nil)
            #expect(orgSetup == .success(.organization(FlyHarness.org)))
            #expect(apps.map(\.name) == [FlyHarness.app])
            #expect(appSetup == .success(.app(FlyHarness.app)))
            #expect(emulator.faults.injectedCount >= 3)
        }
    }

    @Test func machineAnswersInANewerShapeStillCreateOneMachinePerName() async throws {
        try await FlyHarness.withEmulator { emulator, url in
            let changed = [
                "config.restart.policy": #""spot-price""#, "config.guest.cpus": #""two""#,
                "config.auto_destroy": #""yes""#, "config.image": "7", "events": #""none""#,
            ]
            emulator.faults.add(
                Reshape(
                    pathPrefix: "/v1/apps/\(FlyHarness.app)/machines",
                    remove: ["region", "private_ip", "updated_at", "config.env"], set: changed))
            let fly = FlyHarness.client(url)
            let request = FlyHarness.request(name: "task-1-attempt-1", metadata: ["porter_task": "t-1"])
            let created = try await fly.createMachineIfAbsent(app: FlyHarness.app, request)
            let again = try await fly.createMachineIfAbsent(app: FlyHarness.app, request)
            let fetched = try await fly.machine(app: FlyHarness.app, id: created.id)
            let listed = try await fly.machines(app: FlyHarness.app, metadata: ["porter_task": "t-1"])

            #expect(again.id == created.id && fetched.id == created.id)
            #expect(listed.map(\.id) == [created.id])
            #expect(fetched.config?.metadata?["porter_task"] == "t-1")
            #expect(emulator.machines.count == 1)
            #expect(emulator.faults.injectedCount >= 4)
        }
    }

    @Test func aWorkerAppIsCreatedOnANetworkOfItsOwn() async throws {
        try await FlyHarness.withEmulator { emulator, url in
            emulator.addApp("porter-services", org: FlyHarness.org)
            let fly = FlyHarness.client(url, token: FlyHarness.orgToken)
            try await fly.createWorkerApp("acme-workers", org: FlyHarness.org)
            try await fly.createWorkerApp("bob-workers", org: FlyHarness.org)
            let created = emulator.receivedRequests.first { $0.method == "POST" && $0.path == "/v1/apps" }
            #expect(created?.body.contains(#""network":"porter-workers-acme-workers""#) == true)
            #expect(emulator.network(ofApp: "acme-workers") == FlyClient.workerNetwork(forApp: "acme-workers"))
            #expect(emulator.network(ofApp: "porter-services") == nil)
            #expect(!emulator.sharePrivateNetwork("acme-workers", "porter-services"))
            #expect(!emulator.sharePrivateNetwork("acme-workers", "bob-workers"))
            #expect(emulator.sharePrivateNetwork("porter-services", FlyHarness.app), "the default network is shared")
        }
    }
}
