import Foundation

extension SideEffectDeliverer {
    /// Why a reply to `audience` is not posted (as the effect's result, JSON text), or nil to post it.
    /// Someone who may write gets it; anyone else only the issue's one outsider reply of the day, and
    /// only when `audience` allows one. The permission is asked of GitHub here, where GitHub is called
    /// anyway, unless the one who queued the reply knew it: the gateway answers webhooks without calling
    /// GitHub. Fails closed: someone GitHub refuses to give a permission for counts as an outsider, and
    /// when GitHub cannot answer now the error goes up, so the reply waits unposted for a retry (and is
    /// given up with its patience).
    func withhold(
        _ request: CommentRequest, for audience: ReplyAudience, key: String, installation: Int, owner: String,
        repo: String
    ) async throws -> String? {
        var mayWrite = audience.mayWrite ?? false
        if audience.mayWrite == nil {
            do {
                mayWrite = try await github.collaboratorPermission(
                    installationID: installation, owner: owner, repo: repo, user: audience.login
                ).canWrite
            } catch let error where Failure.isPermanent(error) {
                logger.notice(
                    "the commenter's permission could not be checked; answered as an outsider",
                    metadata: ["dedupe_key": "\(key)", "error": "\(String(reflecting: error))"])
            }
        }
        if mayWrite { return nil }
        guard audience.outsiders == .oncePerDay else {
            return withheldResult(
                "@\(audience.login) has no confirmed write access, and this reply is only for those who have",
                as: "writers_only")
        }
        guard
            try await queue.claimOutsiderReply(
                repositoryID: audience.repositoryID, issueNumber: request.issueNumber, dedupeKey: key)
        else {
            return withheldResult(
                "the issue had its one reply of the day to people without write access", as: "daily_limit")
        }
        return nil
    }

    /// The result of a withheld reply, counted by `kind`.
    func withheldResult(_ reason: String, as kind: String) -> String {
        metrics?.counter(
            "replies_withheld", help: "Replies to commenters without write access that were not posted, by why.",
            labels: [("reason", kind)]
        ).increment()
        let encoded = (try? JSONEncoder().encode(["withheld": reason])).map { String(decoding: $0, as: UTF8.self) }
        return encoded ?? #"{"withheld":"not posted"}"#
    }
}
