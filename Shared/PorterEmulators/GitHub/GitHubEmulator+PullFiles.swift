import Foundation

/// `GET /repos/{owner}/{repo}/pulls/{n}/files` in GitHub's shape.
extension GitHubEmulator {
    /// GitHub lists at most 3,000 files of a pull request.
    static let pullFileLimit = 3000

    static let fileStatuses: [Character: String] = [
        "A": "added", "D": "removed", "M": "modified", "R": "renamed", "C": "copied", "T": "changed",
    ]

    /// Every file the pull request changes (up to GitHub's limit), for `GitHubJSONResponse.page`.
    func pullFilesJSON(_ pull: EmulatedPull, _ repository: EmulatedRepository) async throws -> [Any] {
        let (base, head) = try await diffRefs(pull, repository)
        let files = try await git.diffFiles(owner: repository.owner, name: repository.name, base: base, head: head)
        let headSHA = await git.resolveCommit(owner: repository.owner, name: repository.name, ref: head) ?? head
        let web = "\(baseURL)/\(repository.fullName)"
        let api = "\(baseURL)/repos/\(repository.fullName)"
        return files.prefix(Self.pullFileLimit).map { file in
            let path = file.path.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? file.path
            // A mode change keeps the blob: GitHub calls that `changed`, not `modified`.
            let status =
                file.status == "M" && file.oldBlob == file.newBlob
                ? "changed"
                : Self.fileStatuses[file.status]
                    ?? "changed"
            var object: [String: Any] = [
                "sha": file.status == "D" ? file.oldBlob : file.newBlob, "filename": file.path, "status": status,
                "additions": file.additions, "deletions": file.deletions, "changes": file.additions + file.deletions,
                "blob_url": "\(web)/blob/\(headSHA)/\(path)", "raw_url": "\(web)/raw/\(headSHA)/\(path)",
                "contents_url": "\(api)/contents/\(path)?ref=\(headSHA)",
            ]
            if let patch = file.patch { object["patch"] = patch }
            if let previous = file.previousPath, file.status == "R" || file.status == "C" {
                object["previous_filename"] = previous
            }
            return object
        }
    }
}
