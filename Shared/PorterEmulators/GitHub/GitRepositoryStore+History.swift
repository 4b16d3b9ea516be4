import Foundation

/// What tests do to repositories besides serving them: people pushing, forks, protected branches,
/// and reading branches, messages and diff hunks back.
extension GitRepositoryStore {
    /// Commits `files` (and `changes`: binary files, deletions, renames) on top of `branch` without
    /// a working tree and moves the branch, as a person's push would; a missing branch starts at
    /// `from`. One `git fast-import` writes the commit however many files it holds, to a ref of its
    /// own; the branch then moves only if nothing else moved it meanwhile. No hook runs: protection
    /// guards pushes over HTTP, not what a test does.
    func commit(
        owner: String, name: String, branch: String, files: [String: String],
        changes: FileChanges = FileChanges(), message: String,
        author: (name: String, email: String), from: String
    ) async throws -> String {
        let bare = directory(owner: owner, name: name)
        let existing = await branchSHA(owner: owner, name: name, branch: branch)
        let parent: String
        if let existing {
            parent = existing
        } else {
            parent = try await git(["-C", bare.path, "rev-parse", "--verify", "--quiet", "\(from)^{commit}"])
        }
        let scratch = "refs/porter-seed/\(UUID().uuidString.lowercased())"
        let identity = "\(author.name) <\(author.email)> \(Int(Date().timeIntervalSince1970)) +0000"
        var stream = Data("commit \(scratch)\nauthor \(identity)\ncommitter \(identity)\n".utf8)
        stream.append(Self.fastImportData(Data(message.utf8)))
        stream.append(Data("from \(parent)\n".utf8))
        for (old, new) in changes.renames.sorted(by: { $0.key < $1.key }) {
            stream.append(Data("R \(Self.quoted(old)) \(Self.quoted(new))\n".utf8))
        }
        for path in changes.deletions.sorted() { stream.append(Data("D \(Self.quoted(path))\n".utf8)) }
        let contents = files.mapValues { Data($0.utf8) }.merging(changes.binary) { $1 }
        for (path, bytes) in contents.sorted(by: { $0.key < $1.key }) {
            stream.append(Data("M 100644 inline \(Self.quoted(path))\n".utf8))
            stream.append(Self.fastImportData(bytes))
        }
        stream.append(Data("\n".utf8))
        let imported = try await Self.run(
            ["git", "-C", bare.path, "fast-import", "--quiet", "--date-format=raw"], input: stream)
        guard imported.status == 0 else {
            // fast-import leaves a crash report in the repository when it gives up.
            let names = (try? FileManager.default.contentsOfDirectory(atPath: bare.path)) ?? []
            for report in names where report.hasPrefix("fast_import_crash_") {
                try? FileManager.default.removeItem(at: bare.appendingPathComponent(report))
            }
            throw GitError(description: "git fast-import: " + String(decoding: imported.stderr, as: UTF8.self))
        }
        let commit = try await git(["-C", bare.path, "rev-parse", "--verify", "\(scratch)^{commit}"])
        try await git(["-C", bare.path, "update-ref", "-d", scratch])
        try await git([
            "-C", bare.path, "update-ref", "refs/heads/\(branch)", commit,
            existing ?? String(repeating: "0", count: 40),
        ])
        return commit
    }

    /// fast-import's `data <count>` block.
    static func fastImportData(_ bytes: Data) -> Data {
        var block = Data("data \(bytes.count)\n".utf8)
        block.append(bytes)
        block.append(Data("\n".utf8))
        return block
    }

    /// A path as fast-import reads it: C-style quoted, so spaces and quotes pass.
    static func quoted(_ path: String) -> String {
        var text = "\""
        for character in path {
            switch character {
            case "\\": text += "\\\\"
            case "\"": text += "\\\""
            case "\n": text += "\\n"
            case "\t": text += "\\t"
            default: text.append(character)
            }
        }
        return text + "\""
    }

    /// Makes `<into>/<name>` a fork of `<owner>/<name>`: the same history and branches.
    func fork(owner: String, name: String, into forkOwner: String) async throws {
        let fork = directory(owner: forkOwner, name: name)
        try FileManager.default.createDirectory(
            at: fork.deletingLastPathComponent(), withIntermediateDirectories: true)
        try await git(["clone", "--quiet", "--bare", directory(owner: owner, name: name).path, fork.path])
        try await git(["-C", fork.path, "config", "http.receivepack", "true"])
        try installProtectionHook(fork)
    }

    /// Copies a fork's branch into the base repository as `refs/pull/<number>/head`, as GitHub keeps
    /// every pull request's head, and returns that ref.
    func fetchPullHead(
        owner: String, name: String, number: Int, headOwner: String, headName: String, branch: String
    ) async throws -> String {
        let ref = "refs/pull/\(number)/head"
        try await git([
            "-C", directory(owner: owner, name: name).path, "fetch", "--quiet", "--no-tags",
            directory(owner: headOwner, name: headName).path, "+refs/heads/\(branch):\(ref)",
        ])
        return ref
    }

    /// Branch names, sorted.
    func branches(owner: String, name: String) async throws -> [String] {
        let output = try await git([
            "-C", directory(owner: owner, name: name).path, "for-each-ref", "--format=%(refname)", "refs/heads/",
        ])
        return output.split(separator: "\n").map { String($0.dropFirst("refs/heads/".count)) }.sorted()
    }

    /// The full messages of the commits reachable from `ref`, newest first.
    func log(owner: String, name: String, ref: String) async throws -> [String] {
        let output = try await Self.run([
            "git", "-C", directory(owner: owner, name: name).path, "log", "--format=%B%x00", ref, "--",
        ])
        guard output.status == 0 else {
            throw GitError(description: "git log: " + String(decoding: output.stderr, as: UTF8.self))
        }
        return String(decoding: output.stdout, as: UTF8.self).split(separator: "\0")
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
    }

    /// The branch's commit read from the ref files, without running git: for callers that cannot wait.
    func branchSHANow(owner: String, name: String, branch: String) -> String? {
        let bare = directory(owner: owner, name: name)
        let ref = "refs/heads/\(branch)"
        if let text = try? String(contentsOf: bare.appendingPathComponent(ref), encoding: .utf8) {
            return text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        // Refs that `git gc` packed live in one file, one `<sha> <ref>` a line.
        let packed = (try? String(contentsOf: bare.appendingPathComponent("packed-refs"), encoding: .utf8)) ?? ""
        return packed.split(separator: "\n").first { $0.hasSuffix(" \(ref)") }.map { String($0.prefix { $0 != " " }) }
    }

    /// GitHub's `diff_hunk` for a comment on `line` of `path`: the hunk of `git diff base...head` that
    /// holds the line, from its header down to the line itself, and the line's `position` (lines
    /// below the file's first hunk header). `side` is `RIGHT` (the head's line numbers) or `LEFT`
    /// (the base's). nil when the line is not part of the diff.
    func diffHunk(
        owner: String, name: String, base: String, head: String, path: String, line: Int, side: String
    ) async throws -> (hunk: String, position: Int)? {
        let output = try await Self.run([
            "git", "-C", directory(owner: owner, name: name).path, "diff", "--no-color", "--no-ext-diff", "-U3",
            "\(base)...\(head)", "--", path,
        ])
        guard output.status == 0 else {
            throw GitError(description: "git diff: " + String(decoding: output.stderr, as: UTF8.self))
        }
        var hunk: [Substring] = []
        var (old, new, position) = (0, 0, 0)
        for text in String(decoding: output.stdout, as: UTF8.self).split(separator: "\n") {
            if text.hasPrefix("@@ ") {
                let ranges = text.split(separator: " ")
                guard ranges.count >= 3 else { continue }
                if !hunk.isEmpty { position += 1 }
                old = Int(ranges[1].dropFirst().split(separator: ",").first ?? "") ?? 0
                new = Int(ranges[2].dropFirst().split(separator: ",").first ?? "") ?? 0
                hunk = [text]
                continue
            }
            guard !hunk.isEmpty else { continue }
            hunk.append(text)
            position += 1
            let (onLeft, onRight) =
                switch text.first ?? "?" {
                case "+": (false, true)
                case "-": (true, false)
                case " ": (true, true)
                default: (false, false)
                }
            if (side == "LEFT" && onLeft && old == line) || (side != "LEFT" && onRight && new == line) {
                return (hunk.joined(separator: "\n"), position)
            }
            if onLeft { old += 1 }
            if onRight { new += 1 }
        }
        return nil
    }

    /// Writes the protected branch list the pre-receive hook reads.
    func setProtectedBranches(owner: String, name: String, branches: Set<String>) throws {
        let list = branches.sorted().map { "refs/heads/\($0)\n" }.joined()
        try Data(list.utf8).write(
            to: directory(owner: owner, name: name).appendingPathComponent("porter-protected"), options: .atomic)
    }

    /// A pre-receive hook refusing updates of the branches listed in `porter-protected`, with the
    /// words GitHub's branch protection uses.
    func installProtectionHook(_ bare: URL) throws {
        let hooks = bare.appendingPathComponent("hooks")
        try FileManager.default.createDirectory(at: hooks, withIntermediateDirectories: true)
        let hook = hooks.appendingPathComponent("pre-receive")
        let script = """
            #!/bin/sh
            [ -f porter-protected ] || exit 0
            status=0
            while read -r old new ref; do
              if grep -qxF "$ref" porter-protected; then
                echo "error: GH006: Protected branch update failed for $ref." >&2
                status=1
              fi
            done
            exit $status

            """
        try Data(script.utf8).write(to: hook)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: hook.path)
    }
}
