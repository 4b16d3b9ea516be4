import Foundation

/// One file of what a pull request changes, read from `git diff -M`.
struct DiffFile: Sendable {
    /// The first letter of git's raw status: `A`, `D`, `M`, `R`, `C` or `T`.
    var status: Character
    var path: String
    /// Where a renamed or copied file came from.
    var previousPath: String?
    var oldBlob: String
    var newBlob: String
    var additions: Int
    var deletions: Int
    var binary: Bool
    /// The file's hunks from its first `@@`, or nil when it has none (binary, a pure rename, a mode
    /// change) or they are too large to serve.
    var patch: String?
}

/// How big a pull request is, in the numbers its JSON carries.
struct DiffSummary: Sendable {
    var additions = 0
    var deletions = 0
    var changedFiles = 0
    var commits = 0
}

extension GitRepositoryStore {
    /// GitHub serves no patch for a file whose diff is over 1 MB or 20,000 lines, the limits its
    /// documentation gives for one file's diff; the file is still listed, with its counts.
    static let patchByteLimit = 1 << 20
    static let patchLineLimit = 20_000

    /// The files `head` changes against its merge base with `base`, in path order, renames detected
    /// (`git diff -M base...head`). Two git runs whatever the number of files: the raw list and the
    /// whole patch, cut into files by their `diff --git` headers, which come in the same order.
    func diffFiles(owner: String, name: String, base: String, head: String) async throws -> [DiffFile] {
        let bare = directory(owner: owner, name: name).path
        let range = "\(base)...\(head)"
        let raw = try await Self.run(["git", "-C", bare, "diff", "-z", "-M", "--raw", "--no-abbrev", range, "--"])
        guard raw.status == 0 else {
            throw GitError(description: "git diff --raw: " + String(decoding: raw.stderr, as: UTF8.self))
        }
        let patch = try await Self.run([
            "git", "-C", bare, "diff", "-M", "--no-color", "--no-ext-diff", "-U3", range, "--",
        ])
        guard patch.status == 0 else {
            throw GitError(description: "git diff: " + String(decoding: patch.stderr, as: UTF8.self))
        }
        var files = Self.parseRaw(raw.stdout)
        let chunks = Self.fileChunks(patch.stdout)
        guard chunks.count == files.count else { return files }
        for index in files.indices {
            Self.describe(&files[index], chunk: patch.stdout[chunks[index]])
        }
        return files
    }

    /// `git diff -z --raw`: `:<old mode> <new mode> <old blob> <new blob> <status>\0<path>\0`, with
    /// a second path for renames and copies.
    static func parseRaw(_ data: Data) -> [DiffFile] {
        let fields = data.split(separator: 0, omittingEmptySubsequences: false).map {
            String(decoding: $0, as: UTF8.self)
        }
        var files: [DiffFile] = []
        var index = 0
        while index < fields.count, fields[index].hasPrefix(":") {
            let parts = fields[index].dropFirst().split(separator: " ")
            guard parts.count == 5, let status = parts[4].first, index + 1 < fields.count else { break }
            let paired = status == "R" || status == "C"
            guard !paired || index + 2 < fields.count else { break }
            files.append(
                DiffFile(
                    status: status, path: fields[index + (paired ? 2 : 1)],
                    previousPath: paired ? fields[index + 1] : nil, oldBlob: String(parts[2]),
                    newBlob: String(parts[3]), additions: 0, deletions: 0, binary: false, patch: nil))
            index += paired ? 3 : 2
        }
        return files
    }

    /// The byte ranges of each file's part of a patch, each starting at its `diff --git` line. Hunk
    /// lines start with a space, `+`, `-` or `\`, so no content line can pass for a header.
    static func fileChunks(_ patch: Data) -> [Range<Data.Index>] {
        let header = Data("diff --git ".utf8)
        let separator = Data("\ndiff --git ".utf8)
        var starts: [Data.Index] = []
        if patch.starts(with: header) { starts.append(patch.startIndex) }
        var from = patch.startIndex
        while let found = patch.range(of: separator, in: from..<patch.endIndex) {
            starts.append(found.lowerBound + 1)
            from = found.upperBound
        }
        return starts.indices.map { index in
            starts[index]..<(index + 1 < starts.count ? starts[index + 1] - 1 : patch.endIndex)
        }
    }

    /// Fills in a file's counts and patch from its part of the whole patch.
    static func describe(_ file: inout DiffFile, chunk: Data) {
        guard let hunks = chunk.range(of: Data("\n@@ ".utf8)) else {
            file.binary = chunk.range(of: Data("\nBinary files ".utf8)) != nil
            return
        }
        var body = chunk[(hunks.lowerBound + 1)...]
        if body.last == UInt8(ascii: "\n") { body = body.dropLast() }
        var (additions, deletions, lines) = (0, 0, 0)
        body.withUnsafeBytes { (buffer: UnsafeRawBufferPointer) in
            guard let base = buffer.baseAddress else { return }
            var offset = 0
            while offset < buffer.count {
                switch buffer[offset] {
                case UInt8(ascii: "+"): additions += 1
                case UInt8(ascii: "-"): deletions += 1
                default: break
                }
                lines += 1
                guard let newline = memchr(base + offset, 0x0A, buffer.count - offset) else { break }
                offset = base.distance(to: UnsafeRawPointer(newline)) + 1
            }
        }
        file.additions = additions
        file.deletions = deletions
        if body.count <= patchByteLimit && lines <= patchLineLimit {
            file.patch = String(decoding: body, as: UTF8.self)
        }
    }

    /// Lines added and removed, files changed (`git diff -M --shortstat base...head`) and commits
    /// (`git rev-list --count base..head`).
    func diffSummary(owner: String, name: String, base: String, head: String) async throws -> DiffSummary {
        let bare = directory(owner: owner, name: name).path
        let stat = try await git(["-C", bare, "diff", "-M", "--shortstat", "\(base)...\(head)", "--"])
        var summary = DiffSummary()
        for part in stat.split(separator: ",") {
            let words = part.split(separator: " ")
            guard let count = words.first.flatMap({ Int($0) }), words.count > 1 else { continue }
            if words[1].hasPrefix("file") { summary.changedFiles = count }
            if words[1].hasPrefix("insertion") { summary.additions = count }
            if words[1].hasPrefix("deletion") { summary.deletions = count }
        }
        summary.commits = Int(try await git(["-C", bare, "rev-list", "--count", "\(base)..\(head)", "--"])) ?? 0
        return summary
    }

    /// The tree that merging `head` into `base` gives, or nil when they conflict.
    func mergeTree(owner: String, name: String, base: String, head: String) async throws -> String? {
        let output = try await Self.run([
            "git", "-C", directory(owner: owner, name: name).path, "merge-tree", "--write-tree", base, head,
        ])
        switch output.status {
        case 0: return output.text.split(separator: "\n").first.map(String.init)
        case 1: return nil
        default: throw GitError(description: "git merge-tree: " + String(decoding: output.stderr, as: UTF8.self))
        }
    }

    /// The full commit id `ref` names (a branch first, then any revision), or nil.
    func resolveCommit(owner: String, name: String, ref: String) async -> String? {
        if let sha = await branchSHA(owner: owner, name: name, branch: ref) { return sha }
        guard !ref.hasPrefix("-"),
            let output = try? await Self.run([
                "git", "-C", directory(owner: owner, name: name).path, "rev-parse", "--verify", "--quiet",
                "\(ref)^{commit}",
            ]), output.status == 0
        else { return nil }
        return output.text
    }
}
