import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOHTTP1
import PorterEmulators
import PorterKit
import Testing

/// The emulator run standalone is seeded over HTTP, and a seeded comment goes out as a webhook.
@Suite struct GitHubSeedRoutesTests {
    static func post(_ url: String, _ json: String, method: HTTPMethod = .POST) async throws -> (Int, String) {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: json))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        return (Int(response.status.code), String(buffer: try await response.body.collect(upTo: 1 << 20)))
    }

    @Test func anEmptyEmulatorIsSeededOverHTTPAndACommentBecomesAWebhook() async throws {
        let world = try await GitHubWorld.make()
        let emulator = world.emulator
        try await world.live { github, port in
            let base = "http://127.0.0.1:\(port)/_emulator"
            // Webhooks go to a path that answers 404: the attempt is still recorded, as GitHub does.
            emulator.configureWebhooks(url: "\(base)/no-hook-here", secret: "s")
            let repository = try await Self.post(
                "\(base)/repositories",
                #"{"owner":"octo","name":"demo","defaultBranch":"trunk","files":{"AGENTS.md":"Be brief."}}"#)
            #expect(repository.0 == 201, "\(repository.1)")
            let installation = try await Self.post("\(base)/installations", #"{"account":"octo"}"#)
            #expect(installation.0 == 201)
            let created = try JSONSerialization.jsonObject(with: Data(installation.1.utf8)) as? [String: Any]
            let installationID = try #require(created?["id"] as? Int)
            let issue = try await Self.post(
                "\(base)/issues", #"{"owner":"octo","repo":"demo","title":"Crash on start","author":"octo"}"#)
            #expect(issue == (201, #"{"number":1}"#))
            let role = try await Self.post(
                "\(base)/roles", #"{"owner":"octo","repo":"demo","user":"dev","role":"maintain"}"#, method: .PUT)
            #expect(role.0 == 204)
            let badRole = try await Self.post(
                "\(base)/roles", #"{"owner":"octo","repo":"demo","user":"dev","role":"owner"}"#, method: .PUT)
            #expect(badRole.0 == 400)
            let missing = try await Self.post(
                "\(base)/issues", #"{"owner":"octo","repo":"nothing","title":"x","author":"octo"}"#)
            #expect(missing.0 == 404)
            let comment = try await Self.post(
                "\(base)/comments", #"{"owner":"octo","repo":"demo","issue":1,"author":"dev","body":"@porter fix it"}"#)
            #expect(comment.0 == 201)

            // What was seeded is what the REST API serves.
            #expect(
                try await github.repository(installationID: installationID, owner: "octo", repo: "demo").defaultBranch
                    == "trunk")
            #expect(
                try await github.fileContents(
                    installationID: installationID, owner: "octo", repo: "demo", path: "AGENTS.md")
                    == "Be brief.")
            #expect(
                try await github.collaboratorPermission(
                    installationID: installationID, owner: "octo", repo: "demo", user: "dev") == .maintain)
            #expect(emulator.comments(owner: "octo", repo: "demo", issue: 1) == ["@porter fix it"])
            let listed = try await HTTPClient.shared.execute(
                HTTPClientRequest(url: "\(base)/issues/octo/demo/1/comments"), timeout: .seconds(10))
            #expect(String(buffer: try await listed.body.collect(upTo: 1 << 20)) == #"["@porter fix it"]"#)
            let delivery = try #require(emulator.deliveries.last)
            #expect(delivery.event == "issue_comment")
            #expect(delivery.action == "created")
            #expect(delivery.installationID == installationID)
            #expect(delivery.statusCode == 404)
        }
    }
}
