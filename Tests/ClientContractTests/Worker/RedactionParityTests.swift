import Foundation
import PorterKit
import Testing

/// The worker's redactor (`deploy/worker/redact.pl`, run as a process) and PorterKit's `Redactor` share
/// one list of secret shapes, `deploy/worker/redaction-patterns.txt`, and turn the same text into the
/// same text: every shape redacted, every near miss left alone.
@Suite struct RedactionParityTests {
    static let folder = URL(fileURLWithPath: CallbackWorld.entrypoint).deletingLastPathComponent()
    static let knownSecret = "correct-horse-battery"

    /// A canary and what both redactors must make of it.
    struct Case: CustomTestStringConvertible, Sendable {
        let text: String
        let redacted: String
        var testDescription: String { text.debugDescription }

        /// A shape: `secret` is redacted, what is around it stays.
        static func shape(_ secret: String, before: String = "", after: String = "") -> Case {
            Case(text: "seen: \(before)\(secret)\(after)", redacted: "seen: \(before)[REDACTED]\(after)")
        }

        /// A near miss: nothing changes.
        static func nearMiss(_ text: String) -> Case { Case(text: text, redacted: text) }
    }

    static let hex36 = "16C7e42F292c6912E7710c838347Ae178B4a"

    static let shapes: [Case] = [
        Case(
            text: "key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\ndone",
            redacted: "key:\n[REDACTED]\ndone"),
        Case(
            text: "tail\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEA\nAAAABG5vbmU",
            redacted: "tail\n[REDACTED]"),
        Case(text: "b3BlbnNzaC1rZXktdjEA\n-----END OPENSSH PRIVATE KEY-----\nafter", redacted: "[REDACTED]\nafter"),
        .shape("github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz"),
        .shape("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"),
        .shape("gho_\(hex36)"), .shape("ghu_\(hex36)"), .shape("ghs_\(hex36)"), .shape("ghr_\(hex36)"),
        .shape("sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789"),
        .shape("sk-proj-abcdefghijklmnopqrstuvwxyz0123"),
        .shape("ptk_9f8e7d6c5b4a39281706f5e4d3c2b1a0"),
        .shape("fm2_lJPECAAAAAAAAMxBxBBB,fm2_lJPEDDDDDDDDD", before: "FlyV1 "),
        .shape("fm2_lJPECAAAAAAAAMxBxBBBxyzxyzxyz"),
        .shape("fm1r_lJPECAAAAAAAAMxBxBBBxyz+/=="),
        .shape("AIzaSyA-abcdefghijklmnopqrstuvwxyz012345"),
        .shape("abcdefghijklmnopqrstuv", before: "Authorization: Bearer "),
        .shape("eC1hY2Nlc3MtdG9rZW46Z2hz", before: "Authorization: basic "),
        .shape("QWxhZGRpbjpvcGVuIHNlc2FtZQ", before: "token="),
        .shape("abcdefghijklmnop1234", before: "GH_TOKEN: '", after: "'"),
        .shape("abc.def~ghi_jkl-mno/pqr", before: #"{"access_token": ""#, after: #""}"#),
        .shape("abcdefghijklmnopqrstu", before: "TOKEN "),
        .shape("x-access-token:abc123def", before: "https://", after: "@github.com/o/r.git"),
        .shape("porter:s3cret", before: "postgres://", after: "@db:5432/porter"),
        .shape(knownSecret, before: "clé ", after: " ok"),
        .shape("ghp_\(hex36)", before: "à "),
    ]

    static let nearMisses: [Case] = [
        .nearMiss("-----BEGIN lowercase-----\nnot a key"),
        .nearMiss("github_pat_short_one"), .nearMiss("ghp_short123"), .nearMiss("ghx_\(hex36)"),
        .nearMiss("ghp_abcdefghijklmnopqrs\u{E9}tuvwxyz0123"),
        .nearMiss("fix the flaky test in sk-tests/ and sk-short"), .nearMiss("sk-ant-short"),
        .nearMiss("ptk_tooShort12345"), .nearMiss("FlyV1 short"), .nearMiss("fm3_abcdefghijklmnopqrstu"),
        .nearMiss("AIzaShortKey"),
        .nearMiss("tokens: abcdefghijklmnopqrstuvwxyz"), .nearMiss("token: short12345"),
        .nearMiss("to\u{212A}en=abcdefghijklmnopqrstu"), .nearMiss("token\u{2003}abcdefghijklmnopqrstu"),
        .nearMiss("the bearer of bad news, a basic question"),
        .nearMiss("https://github.com/o/r.git"), .nearMiss("https://user@github.com/o/r.git"),
        .nearMiss("mailto:someone@example.com and a:b@c"),
        .nearMiss("short and correct-horse without its battery"),
    ]

    /// The build turns the data file into `Redactor.patterns` (the RedactionPatterns plugin): every line
    /// the worker reads, in order, none changed by the trip through a Swift literal.
    @Test func theServicesReadTheDataFileAsTheWorkerDoes() throws {
        let text = try String(contentsOf: Self.folder.appendingPathComponent("redaction-patterns.txt"), encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        #expect(lines.count >= 10)
        #expect(lines == Redactor.patterns)
    }

    @Test(arguments: shapes + nearMisses)
    func bothRedactorsMakeTheSameTextOfIt(_ canary: Case) async throws {
        let swift = Redactor(knownSecrets: [Self.knownSecret, "short"]).redact(canary.text)
        let perl = try await Self.perl(canary.text, secrets: [Self.knownSecret, "short"])
        #expect(swift == canary.redacted, "PorterKit's Redactor")
        #expect(perl == canary.redacted, "the worker's redact.pl")
    }

    /// A copy of the worker's folder, reached through a symbolic link to its entrypoint from elsewhere,
    /// finds its companions; once a shape no longer compiles, it refuses to start.
    @Test func aShapeThatDoesNotCompileKeepsTheWorkerFromStarting() async throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
            "porter-worker-\(UUID().uuidString)")
        let copy = scratch.appendingPathComponent("worker")
        let elsewhere = scratch.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        try FileManager.default.copyItem(at: Self.folder, to: copy)
        let link = elsewhere.appendingPathComponent("porter-worker")
        try FileManager.default.createSymbolicLink(
            at: link, withDestinationURL: copy.appendingPathComponent("entrypoint.sh"))
        let environment = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]

        let (sound, soundOutput) = try await ProgramRun.run([link.path], environment: environment)
        #expect(sound == 2, "\(soundOutput)")
        #expect(soundOutput.contains("PORTER_TASK_ID is not set"), "\(soundOutput)")
        #expect(!soundOutput.contains("beside the entrypoint"), "\(soundOutput)")
        #expect(!soundOutput.contains("redaction-patterns.txt"), "\(soundOutput)")

        let patterns = copy.appendingPathComponent("redaction-patterns.txt")
        let handle = try FileHandle(forWritingTo: patterns)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("(?<keep>FlyV1 [A-Za-z0-9]{16,}\n".utf8))
        try handle.close()
        let (broken, brokenOutput) = try await ProgramRun.run([link.path], environment: environment)
        #expect(broken == 2, "\(brokenOutput)")
        #expect(
            brokenOutput.contains("/redaction-patterns.txt line ") && brokenOutput.contains("Unmatched ("),
            "\(brokenOutput)")
    }

    /// Runs `redact.pl` on `text` the way the entrypoint's `redact` does: stdin to stdout, every byte.
    static func perl(_ text: String, secrets: [String]) async throws -> String {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
            "porter-redact-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let secretsFile = scratch.appendingPathComponent("secrets")
        let input = scratch.appendingPathComponent("input")
        try Data(secrets.map { $0 + "\0" }.joined().utf8).write(to: secretsFile)
        try Data(text.utf8).write(to: input)
        let script = folder.appendingPathComponent("redact.pl").path
        let (status, output) = try await ProgramRun.run(
            ["/bin/sh", "-c", #"exec perl "$0" "$1" - 0 all 0 0 <"$2""#, script, secretsFile.path, input.path],
            environment: ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"])
        try #require(status == 0, "redact.pl failed: \(output)")
        return output
    }
}
