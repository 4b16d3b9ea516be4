import Foundation
import HTTPTypes
import Hummingbird

/// `/_emulator/…`: the seeding API over HTTP, so an emulator run standalone (the local stack) can be
/// given repositories, installations, issues, roles and comments, a comment delivering its webhook,
/// and an issue's comments read back.
extension GitHubEmulator {
    struct SeedRepository: Decodable {
        var owner: String
        var name: String
        var defaultBranch: String?
        var files: [String: String]?
        var `private`: Bool?
    }

    struct SeedInstallation: Decodable {
        var account: String
        var repositories: [String]?
    }

    struct SeedIssue: Decodable {
        var owner: String
        var repo: String
        var title: String
        var body: String?
        var author: String
    }

    struct SeedComment: Decodable {
        var owner: String
        var repo: String
        var issue: Int
        var author: String
        var body: String
    }

    struct SeedRole: Decodable {
        var owner: String
        var repo: String
        var user: String
        var role: String
    }

    struct Created: ResponseEncodable {
        var id: Int?
        var number: Int?
    }

    func addSeedRoutes(to router: Router<BasicRequestContext>) {
        let seed = router.group("/_emulator")
        seed.post("/repositories") { request, context -> EditedResponse<Created> in
            let body = try await request.decode(as: SeedRepository.self, context: context)
            let id = try await self.addRepository(
                owner: body.owner, name: body.name, defaultBranch: body.defaultBranch ?? "main",
                files: body.files ?? ["README.md": "# \(body.name)\n"], isPrivate: body.private ?? true)
            return EditedResponse(status: .created, response: Created(id: id))
        }
        seed.post("/installations") { request, context -> EditedResponse<Created> in
            let body = try await request.decode(as: SeedInstallation.self, context: context)
            let id = self.addInstallation(account: body.account, repositories: body.repositories)
            return EditedResponse(status: .created, response: Created(id: id))
        }
        seed.post("/issues") { request, context -> EditedResponse<Created> in
            let body = try await request.decode(as: SeedIssue.self, context: context)
            let number = self.addIssue(
                owner: body.owner, repo: body.repo, title: body.title, body: body.body, author: body.author)
            guard number > 0 else { throw HTTPError(.notFound, message: "no repository \(body.owner)/\(body.repo)") }
            return EditedResponse(status: .created, response: Created(number: number))
        }
        seed.put("/roles") { request, context -> HTTPResponse.Status in
            let body = try await request.decode(as: SeedRole.self, context: context)
            guard ["admin", "maintain", "write", "triage", "read"].contains(body.role) else {
                throw HTTPError(.badRequest, message: "role must be admin, maintain, write, triage or read")
            }
            self.setRole(owner: body.owner, repo: body.repo, user: body.user, role: body.role)
            return .noContent
        }
        // Read without a token, to watch what people and Porter post on an issue or pull request.
        seed.get("/pulls/:owner/:repo/:number/reviews") { _, context -> [EmulatedReviewSummary] in
            self.reviews(
                owner: try context.parameters.require("owner"), repo: try context.parameters.require("repo"),
                pull: try context.parameters.require("number", as: Int.self))
        }
        seed.get("/issues/:owner/:repo/:number/comments") { _, context -> [String] in
            let number = try context.parameters.require("number", as: Int.self)
            return self.comments(
                owner: try context.parameters.require("owner"), repo: try context.parameters.require("repo"),
                issue: number)
        }
        seed.post("/comments") { request, context -> EditedResponse<Created> in
            let body = try await request.decode(as: SeedComment.self, context: context)
            let id = try await self.comment(
                owner: body.owner, repo: body.repo, issue: body.issue, author: body.author, body: body.body)
            return EditedResponse(status: .created, response: Created(id: id))
        }
    }
}
