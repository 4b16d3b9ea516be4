import Foundation

/// GitHub's closing keywords: a pull request merged into the default branch closes each issue its
/// description names after `close`, `closes`, `closed`, `fix`, `fixes`, `fixed`, `resolve`, `resolves`
/// or `resolved` (any case, an optional colon, then `#N`, `owner/repo#N` or the issue's URL).
extension GitHubEmulator {
    static let closingReference = try! NSRegularExpression(
        pattern: #"(?<![A-Za-z0-9_])(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?):?\s+"#
            + #"(?:(?:([A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+))?#([0-9]+)|https?://[^\s/]+/([A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)/issues/([0-9]+))"#,
        options: [.caseInsensitive])

    /// The numbers of the issues in `fullName` that `body` closes.
    static func closedIssues(by body: String, in fullName: String) -> [Int] {
        let text = body as NSString
        return closingReference.matches(in: body, range: NSRange(location: 0, length: text.length)).compactMap {
            match in
            func group(_ index: Int) -> String? {
                let range = match.range(at: index)
                return range.location == NSNotFound ? nil : text.substring(with: range)
            }
            let repository = group(1) ?? group(3) ?? fullName
            guard repository.lowercased() == fullName.lowercased() else { return nil }
            return (group(2) ?? group(4)).flatMap { Int($0) }
        }
    }

    /// Closes, as the merge of `pull` into the default branch does, the open issues its description
    /// names with a closing keyword.
    func closeIssues(namedBy pull: EmulatedPull, in repository: EmulatedRepository, at now: Date) {
        guard pull.base == repository.defaultBranch, let body = pull.body else { return }
        let numbers = Self.closedIssues(by: body, in: repository.fullName)
        state.withLock { state in
            for number in numbers where number != pull.number {
                guard state.pulls[repository.id]?[number] == nil, state.issues[repository.id]?[number]?.state == "open"
                else { continue }
                state.issues[repository.id]?[number]?.state = "closed"
                state.issues[repository.id]?[number]?.closedAt = now
                state.issues[repository.id]?[number]?.updatedAt = now
            }
        }
    }
}
