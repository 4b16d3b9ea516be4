import Foundation
import HTTPTypes
import Hummingbird

/// `/_emulator/…` for pull requests: what people do on them (push, fork, open, review, protect,
/// merge, close), so that an emulator run standalone can be driven like the Swift seeding API.
extension GitHubEmulator {
    struct SeedCommit: Decodable {
        var owner: String
        var repo: String
        var branch: String
        var files: [String: String]?
        /// Paths to base64 content, for bytes that are not text.
        var binaryFiles: [String: String]?
        var deletions: [String]?
        /// Old path to new path.
        var renames: [String: String]?
        var message: String?
        var author: String?
        var from: String?
    }

    struct SeedFork: Decodable {
        var owner: String
        var repo: String
        var into: String
    }

    struct SeedPull: Decodable {
        var owner: String
        var repo: String
        var title: String
        var body: String?
        var head: String
        var base: String?
        var author: String
        var headOwner: String?
        var draft: Bool?
    }

    struct SeedReviewComment: Decodable {
        var owner: String
        var repo: String
        var pull: Int
        var author: String
        var body: String
        var path: String?
        var line: Int?
        var startLine: Int?
        var side: String?
        var inReplyTo: Int?
    }

    struct SeedReview: Decodable {
        struct LineComment: Decodable {
            var path: String
            var line: Int
            var body: String
        }

        var owner: String
        var repo: String
        var pull: Int
        var author: String
        var body: String?
        var event: String?
        var comments: [LineComment]?
    }

    struct SeedProtection: Decodable {
        var owner: String
        var repo: String
        var branch: String
        var protected: Bool?
        var requiredChecks: [String]?
    }

    struct SeedPullAction: Decodable {
        var owner: String
        var repo: String
        var number: Int
        var by: String?
        var method: EmulatedMergeMethod?
    }

    struct Pushed: ResponseEncodable {
        var sha: String
    }

    func addPullSeedRoutes(to router: Router<BasicRequestContext>) {
        let seed = router.group("/_emulator")
        seed.post("/commits") { request, context -> EditedResponse<Pushed> in
            let body = try await request.decode(as: SeedCommit.self, context: context)
            var binary: [String: Data] = [:]
            for (path, text) in body.binaryFiles ?? [:] {
                guard let bytes = Data(base64Encoded: text) else {
                    throw HTTPError(.badRequest, message: "binaryFiles[\(path)] is not base64")
                }
                binary[path] = bytes
            }
            let sha = try await self.pushCommit(
                owner: body.owner, repo: body.repo, branch: body.branch, files: body.files ?? [:],
                binaryFiles: binary, deletions: body.deletions ?? [], renames: body.renames ?? [:],
                message: body.message ?? "Update files", author: body.author ?? "octocat", from: body.from)
            return EditedResponse(status: .created, response: Pushed(sha: sha))
        }
        seed.post("/forks") { request, context -> EditedResponse<Created> in
            let body = try await request.decode(as: SeedFork.self, context: context)
            let id = try await self.forkRepository(owner: body.owner, repo: body.repo, into: body.into)
            return EditedResponse(status: .created, response: Created(id: id))
        }
        seed.post("/pulls") { request, context -> EditedResponse<Created> in
            let body = try await request.decode(as: SeedPull.self, context: context)
            let number = try await self.addPullRequest(
                owner: body.owner, repo: body.repo, title: body.title, body: body.body, head: body.head,
                base: body.base, author: body.author, headOwner: body.headOwner, draft: body.draft ?? false)
            return EditedResponse(status: .created, response: Created(number: number))
        }
        seed.post("/pulls/merge") { request, context -> HTTPResponse.Status in
            let body = try await request.decode(as: SeedPullAction.self, context: context)
            try await self.mergePullRequest(
                owner: body.owner, repo: body.repo, number: body.number, by: body.by ?? "octocat",
                method: body.method ?? .merge)
            return .noContent
        }
        seed.post("/pulls/close") { request, context -> HTTPResponse.Status in
            let body = try await request.decode(as: SeedPullAction.self, context: context)
            try await self.closePullRequest(
                owner: body.owner, repo: body.repo, number: body.number, by: body.by ?? "octocat")
            return .noContent
        }
        seed.post("/review-comments") { request, context -> EditedResponse<Created> in
            let body = try await request.decode(as: SeedReviewComment.self, context: context)
            let id = try await self.reviewComment(
                owner: body.owner, repo: body.repo, pull: body.pull, author: body.author, body: body.body,
                path: body.path ?? "", line: body.line ?? 0, startLine: body.startLine, side: body.side ?? "RIGHT",
                inReplyTo: body.inReplyTo)
            return EditedResponse(status: .created, response: Created(id: id))
        }
        seed.post("/reviews") { request, context -> EditedResponse<Created> in
            let body = try await request.decode(as: SeedReview.self, context: context)
            let id = try await self.submitReview(
                owner: body.owner, repo: body.repo, pull: body.pull, author: body.author, body: body.body,
                event: body.event ?? "COMMENT",
                comments: (body.comments ?? []).map { (path: $0.path, line: $0.line, body: $0.body) })
            return EditedResponse(status: .created, response: Created(id: id))
        }
        seed.put("/protected-branches") { request, context -> HTTPResponse.Status in
            let body = try await request.decode(as: SeedProtection.self, context: context)
            try self.protectBranch(
                owner: body.owner, repo: body.repo, branch: body.branch, protected: body.protected ?? true,
                requiredChecks: body.requiredChecks)
            return .noContent
        }
    }
}
