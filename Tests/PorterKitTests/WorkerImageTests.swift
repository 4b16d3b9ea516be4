import Foundation
import PorterKit
import Testing

/// The worker image's files agree with the code that feeds them.
@Suite struct WorkerImageTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../deploy/worker").standardized

    /// The files beside the entrypoint that it runs or reads.
    static let companions = ["redact.pl", "redaction-patterns.txt", "agents-check.jq", "spec-check.jq", "report.jq"]

    static func agentTable() throws -> [String: [String: Any]] {
        let data = try Data(contentsOf: folder.appendingPathComponent("agents.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: [String: Any]])
    }

    /// The services' image builds the package: every folder a target of `Package.swift` lives in, and
    /// the list of secret shapes its Redactor is generated from, are copied into the build stage.
    @Test func theServiceImageCopiesEverythingThePackageBuildsFrom() throws {
        let root = Self.folder.deletingLastPathComponent().deletingLastPathComponent()
        let manifest = try String(contentsOf: root.appendingPathComponent("Package.swift"), encoding: .utf8)
        let dockerfile = try String(contentsOf: root.appendingPathComponent("deploy/Dockerfile"), encoding: .utf8)
        let folders = Set(manifest.matches(of: /path: "([^"\/]+)/).map { String($0.1) })
        #expect(folders.isSuperset(of: ["Plugins", "Shared", "Services"]))
        for copied in folders { #expect(dockerfile.contains("COPY \(copied) \(copied)"), "\(copied) is not copied") }
        #expect(dockerfile.contains("COPY deploy/worker/redaction-patterns.txt deploy/worker/redaction-patterns.txt"))
    }

    @Test func theAgentTableDescribesEveryAgentWithTheKeysPorterResolves() throws {
        let table = try Self.agentTable()
        #expect(Set(table.keys) == Set(Agent.allCases.map(\.rawValue)))
        for agent in Agent.allCases {
            let entry = try #require(table[agent.rawValue])
            let command = try #require(entry["command"] as? [String])
            #expect(!command.isEmpty, "\(agent) has no command")
            #expect((entry["keys"] as? [String]) == agent.keyNames, "\(agent) needs other keys than Porter resolves")
            #expect(["stdin", "file"].contains(entry["prompt"] as? String ?? ""), "\(agent) gets its prompt oddly")
            // No agent takes its prompt as an argument: a long issue would not fit in argv.
            #expect(!command.contains("{prompt}"))
        }
        #expect(table["script"]?["requires_env"] as? String == "PORTER_ALLOW_SCRIPT_AGENT")
        // The built-in demo runs only on a worker told the operator turned it on, with no key.
        #expect(table["demo"]?["requires_env"] as? String == "PORTER_DEMO_AGENT")
        #expect(table["demo"]?["command"] as? [String] == ["bash", "{worker_dir}/demo-agent"])
    }

    /// Programs the table runs from the worker's folder (`{worker_dir}/…`), which the image must ship.
    static func shippedPrograms() throws -> [String] {
        try agentTable().values.flatMap { $0["command"] as? [String] ?? [] }
            .filter { $0.hasPrefix("{worker_dir}/") }.map { String($0.dropFirst("{worker_dir}/".count)) }
    }

    @Test func theDockerfileCopiesTheEntrypointAndAgentTableAndPinsEveryAgent() throws {
        let dockerfile = try String(contentsOf: Self.folder.appendingPathComponent("Dockerfile"), encoding: .utf8)
        #expect(dockerfile.contains("FROM node:20"))
        // The entrypoint finds its companions beside itself.
        let copy = try #require(dockerfile.split(separator: "\n").first { $0.hasPrefix("COPY entrypoint.sh ") })
        #expect(copy.hasSuffix(" /opt/porter/"))
        let programs = try Self.shippedPrograms()
        #expect(programs == ["demo-agent"])
        for file in Self.companions + ["agents.json"] + programs {
            #expect(copy.split(separator: " ").contains(Substring(file)), "the image lacks \(file)")
            #expect(FileManager.default.fileExists(atPath: Self.folder.appendingPathComponent(file).path))
        }
        #expect(dockerfile.contains(#"ENTRYPOINT ["/opt/porter/entrypoint.sh"]"#))
        for package in [
            "@anthropic-ai/claude-code", "@openai/codex", "opencode-ai", "@sourcegraph/amp", "@google/gemini-cli",
        ] {
            #expect(dockerfile.contains("\"\(package)@${"), "\(package) is not pinned")
        }
        for line in dockerfile.split(separator: "\n") where line.hasPrefix("ARG ") && line.contains("_VERSION=") {
            let version = line.split(separator: "=").last ?? ""
            #expect(!version.isEmpty && version != "latest", "\(line) pins nothing")
        }
        for program in programs {
            #expect(dockerfile.contains("/opt/porter/\(program)"), "the image does not make \(program) executable")
            #expect(FileManager.default.isExecutableFile(atPath: Self.folder.appendingPathComponent(program).path))
        }
        let entrypoint = Self.folder.appendingPathComponent("entrypoint.sh").path
        #expect(FileManager.default.isExecutableFile(atPath: entrypoint))
        let source = try String(contentsOfFile: entrypoint, encoding: .utf8)
        for file in Self.companions {
            #expect(source.contains(file), "the entrypoint does not name \(file)")
        }
    }
}
