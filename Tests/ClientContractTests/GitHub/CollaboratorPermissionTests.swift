import Foundation
import PorterEmulators
import PorterKit
import Testing

@Suite struct CollaboratorPermissionTests {
    @Test(arguments: GitHubPermission.allCases)
    func eachRoleComesBackAsItIs(role: GitHubPermission) async throws {
        let world = try await GitHubWorld.make()
        world.emulator.addUser("mona")
        if role != .none { world.emulator.setRole(owner: "acme", repo: "widgets", user: "mona", role: role.rawValue) }
        let id = world.installationID
        let permission = try await world.live { github, _ in
            try await github.collaboratorPermission(installationID: id, owner: "acme", repo: "widgets", user: "mona")
        }
        #expect(permission == role)
        #expect(permission.canWrite == [.admin, .maintain, .write].contains(role))
    }

    @Test func aServerErrorIsThrownSoCallersFailClosed() async throws {
        let world = try await GitHubWorld.make()
        world.emulator.setRole(owner: "acme", repo: "widgets", user: "mona", role: "admin")
        world.emulator.faults.add(.init(pathPrefix: "/repos/acme/widgets/collaborators", status: 503))
        let id = world.installationID
        let error = await #expect(throws: APIError.self) {
            try await world.live { github, _ in
                try await github.collaboratorPermission(
                    installationID: id, owner: "acme", repo: "widgets", user: "mona")
            }
        }
        #expect(error?.statusCode == 503)
        #expect(world.emulator.faults.injectedCount == 4)
    }
}
