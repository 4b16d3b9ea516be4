import Foundation
import HTTPTypes
import Hummingbird

/// `/_emulator/…` for what a review page shows: a repository's merge settings, and the check runs
/// and commit statuses CI reports.
extension GitHubEmulator {
    struct SeedMergeSettings: Decodable {
        var owner: String
        var repo: String
        var allowMergeCommit: Bool?
        var allowSquashMerge: Bool?
        var allowRebaseMerge: Bool?
        var deleteBranchOnMerge: Bool?
    }

    struct SeedCheckRun: Decodable {
        var owner: String
        var repo: String
        var sha: String
        var name: String
        var status: String?
        var conclusion: String?
        var detailsURL: String?
    }

    struct SeedStatus: Decodable {
        var owner: String
        var repo: String
        var sha: String
        var context: String?
        var state: String
        var description: String?
        var targetURL: String?
    }

    func addReviewSeedRoutes(to router: Router<BasicRequestContext>) {
        let seed = router.group("/_emulator")
        seed.put("/merge-settings") { request, context -> HTTPResponse.Status in
            let body = try await request.decode(as: SeedMergeSettings.self, context: context)
            try self.setMergeSettings(
                owner: body.owner, repo: body.repo, allowMergeCommit: body.allowMergeCommit,
                allowSquashMerge: body.allowSquashMerge, allowRebaseMerge: body.allowRebaseMerge,
                deleteBranchOnMerge: body.deleteBranchOnMerge)
            return .noContent
        }
        seed.post("/check-runs") { request, context -> EditedResponse<Created> in
            let body = try await request.decode(as: SeedCheckRun.self, context: context)
            // Without a status, a run with a conclusion is done and one without is still running.
            let id = try await self.addCheckRun(
                owner: body.owner, repo: body.repo, sha: body.sha, name: body.name,
                status: body.status ?? (body.conclusion == nil ? "in_progress" : "completed"),
                conclusion: body.conclusion, detailsURL: body.detailsURL)
            return EditedResponse(status: .created, response: Created(id: id))
        }
        seed.post("/statuses") { request, context -> EditedResponse<Created> in
            let body = try await request.decode(as: SeedStatus.self, context: context)
            let id = try await self.setCommitStatus(
                owner: body.owner, repo: body.repo, sha: body.sha, context: body.context ?? "default",
                state: body.state, description: body.description, targetURL: body.targetURL)
            return EditedResponse(status: .created, response: Created(id: id))
        }
    }
}
