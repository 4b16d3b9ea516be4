import Foundation
import PorterProcess

/// Runs a program to completion without blocking a thread: input and output go through files, so
/// large outputs cannot deadlock on a full pipe.
enum ProcessRunner {
    struct Output: Sendable {
        var status: Int32
        var stdout: Data
        var stderr: Data

        var text: String { String(decoding: stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    /// Runs `arguments` through `/usr/bin/env`, so the program is found on `environment`'s PATH (or
    /// this process's when `environment` is nil).
    static func run(
        _ arguments: [String], in directory: URL? = nil, environment: [String: String]? = nil, input: Data? = nil
    ) async throws -> Output {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("porter-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let inURL = scratch.appendingPathComponent("in")
        let outURL = scratch.appendingPathComponent("out")
        let errURL = scratch.appendingPathComponent("err")
        try (input ?? Data()).write(to: inURL)
        try Data().write(to: outURL)
        try Data().write(to: errURL)

        let stdin = try FileHandle(forReadingFrom: inURL)
        let stdout = try FileHandle(forWritingTo: outURL)
        let stderr = try FileHandle(forWritingTo: errURL)
        let child: ChildProcess
        do {
            defer { for handle in [stdin, stdout, stderr] { try? handle.close() } }
            child = try ChildProcess.spawn(
                "/usr/bin/env", arguments: arguments,
                environment: environment ?? ProcessInfo.processInfo.environment,
                directory: directory?.path, standardInput: stdin.fileDescriptor,
                standardOutput: stdout.fileDescriptor, standardError: stderr.fileDescriptor)
        }
        let status = await child.terminated().status
        return Output(status: status, stdout: try Data(contentsOf: outURL), stderr: try Data(contentsOf: errURL))
    }
}
