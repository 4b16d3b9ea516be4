import Foundation
import PorterKit
import Testing

/// `deploy/worker/demo-agent` run as the worker runs it: in the clone, with Porter's prompt on stdin.
/// It records the request in `PORTER_DEMO.md` and touches nothing else, in a repository without files
/// too. (`DemoAgentTests` runs it through the real worker entrypoint.)
@Suite struct DemoAgentScriptTests {
    static let script = WorkerImageTests.folder.appendingPathComponent("demo-agent").path

    /// A clone of a repository without files: only its `.git`, whose bytes the test compares later.
    static func emptyClone() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("demo-\(UUID().uuidString)")
        let git = directory.appendingPathComponent(".git")
        try FileManager.default.createDirectory(at: git, withIntermediateDirectories: true)
        try "ref: refs/heads/main\n".write(to: git.appendingPathComponent("HEAD"), atomically: true, encoding: .utf8)
        try "[core]\n\tbare = false\n".write(
            to: git.appendingPathComponent("config"), atomically: true, encoding: .utf8)
        return directory
    }

    /// Every file under `.git` with its bytes.
    static func gitFiles(_ clone: URL) throws -> [String: Data] {
        let git = clone.appendingPathComponent(".git")
        var files: [String: Data] = [:]
        for name in try FileManager.default.subpathsOfDirectory(atPath: git.path) {
            files[name] = FileManager.default.contents(atPath: git.appendingPathComponent(name).path)
        }
        return files
    }

    /// Runs the demo in `clone` with `prompt` on stdin, without its pauses.
    static func run(in clone: URL, prompt: String) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [script]
        process.currentDirectoryURL = clone
        process.environment = ["PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PORTER_DEMO_PACE": "0"]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        input.fileHandleForWriting.write(Data(prompt.utf8))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    static func issuePrompt(instructions: String) -> String {
        PromptBuilder().build(
            PromptBuilder.Input(
                repository: "acme/widgets", issueNumber: 1, issueTitle: "Flaky login test",
                issueBody: "It fails one run in ten.", instructions: instructions, requester: "alice",
                repositoryFiles: [("AGENTS.md", "Run swift test.")]))
    }

    static func demoFile(_ clone: URL) throws -> String {
        try String(contentsOf: clone.appendingPathComponent("PORTER_DEMO.md"), encoding: .utf8)
    }

    @Test func inARepositoryWithoutFilesItRecordsTheRequestFromThePromptAndLeavesGitAlone() throws {
        let clone = try Self.emptyClone()
        defer { try? FileManager.default.removeItem(at: clone) }
        let git = try Self.gitFiles(clone)
        let (status, output) = try Self.run(
            in: clone, prompt: Self.issuePrompt(instructions: "add a greeting\nin the README"))
        #expect(status == 0, "\(output)")
        let lines = output.split(separator: "\n")
        #expect(lines.count == 5 && lines.allSatisfy { $0.hasPrefix("demo: ") }, "\(output)")
        #expect(output.contains("Porter's demo agent: built in, offline, no API key"))
        #expect(output.contains(#"reading the request: "add a greeting""#))
        #expect(output.contains("0 files besides .git"))
        #expect(output.contains("This pull request comes from the demo agent"))
        let file = try Self.demoFile(clone)
        #expect(file.hasPrefix("# Porter demo\n\nPorter's built-in `demo` agent wrote this file."))
        #expect(file.contains("## Request 1\n\n> add a greeting\n> in the README\n"), "\(file)")
        #expect(!file.contains("Flaky") && !file.contains("Run swift test"), "only the request is recorded")
        #expect(try Self.gitFiles(clone) == git)
        #expect(
            Set(try FileManager.default.contentsOfDirectory(atPath: clone.path)) == [".git", "PORTER_DEMO.md"])
    }

    @Test func withNoWordsOfItsOwnTheTitleIsTheRequestAndAFollowUpAddsASecondOne() throws {
        let clone = try Self.emptyClone()
        defer { try? FileManager.default.removeItem(at: clone) }
        #expect(try Self.run(in: clone, prompt: Self.issuePrompt(instructions: "")).status == 0)
        #expect(try Self.demoFile(clone).contains("## Request 1\n\n> Flaky login test\n"))
        let followUp = PromptBuilder().buildFollowUp(
            PromptBuilder.FollowUpInput(
                repository: "acme/widgets", pullNumber: 2, pullTitle: "Flaky login test (#1)",
                pullBody: "Fixes #1", headBranch: "porter/issue-1-abc", issue: (1, "Flaky login test", ""),
                request: "say hello too", requester: "alice"))
        let (status, output) = try Self.run(in: clone, prompt: followUp)
        #expect(status == 0, "\(output)")
        let file = try Self.demoFile(clone)
        #expect(file.contains("## Request 1\n\n> Flaky login test\n"), "the first request stays")
        #expect(file.contains("## Request 2\n\n> say hello too\n"), "\(file)")
        #expect(file.components(separatedBy: "# Porter demo").count == 2, "one heading")
    }

    @Test func aLinkInPlaceOfItsFileIsReplacedNeverFollowedIntoGit() throws {
        let clone = try Self.emptyClone()
        defer { try? FileManager.default.removeItem(at: clone) }
        let git = try Self.gitFiles(clone)
        try FileManager.default.createSymbolicLink(
            atPath: clone.appendingPathComponent("PORTER_DEMO.md").path, withDestinationPath: ".git/config")
        let (status, output) = try Self.run(in: clone, prompt: Self.issuePrompt(instructions: "add a greeting"))
        #expect(status == 0, "\(output)")
        #expect(try Self.gitFiles(clone) == git)
        let kind =
            try FileManager.default.attributesOfItem(
                atPath: clone.appendingPathComponent("PORTER_DEMO.md").path)[.type] as? FileAttributeType
        #expect(kind == .typeRegular)
        #expect(try Self.demoFile(clone).contains("> add a greeting"))
    }
}
