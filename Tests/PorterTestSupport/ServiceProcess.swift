import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix
import PorterProcess

/// A real service binary started as a child process, its output captured to a file.
public final class ServiceProcess: Sendable {
    public let name: String
    public let port: Int
    public let outputPath: String
    private let process: ChildProcess

    /// Where `swift build` put the binaries: `PORTER_BIN_DIR`, or the package's debug build folder.
    public static var binDirectory: URL {
        if let dir = ProcessInfo.processInfo.environment["PORTER_BIN_DIR"] { return URL(fileURLWithPath: dir) }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/debug")
    }

    private init(name: String, port: Int, outputPath: String, process: ChildProcess) {
        self.name = name
        self.port = port
        self.outputPath = outputPath
        self.process = process
    }

    /// Starts `name` with exactly `environment` (plus PATH), writing stdout and stderr to one file.
    public static func start(
        _ name: String, arguments: [String] = [], environment: [String: String], port: Int = 0
    )
        throws -> ServiceProcess
    {
        let binary = binDirectory.appendingPathComponent(name)
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw TestSetupError("\(binary.path) is missing: build first (scripts/test does)")
        }
        let outputPath = NSTemporaryDirectory() + "porter-\(name)-\(UUID().uuidString).log"
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        defer { try? output.close() }
        var env = environment
        env["PATH"] = ProcessInfo.processInfo.environment["PATH"]
        let process = try ChildProcess.spawn(
            binary.path, arguments: arguments, environment: env,
            standardOutput: output.fileDescriptor, standardError: output.fileDescriptor)
        return ServiceProcess(name: name, port: port, outputPath: outputPath, process: process)
    }

    public var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }
    public var isRunning: Bool { process.isRunning }
    public var pid: Int32 { process.pid }

    public func signal(_ signal: Int32) { process.send(signal) }

    /// Waits for the process to exit, returning its status, or nil when it is still running after `timeout`.
    public func waitForExit(timeout: Duration) async -> Int32? {
        await process.terminated(within: timeout)?.status
    }

    /// Polls `/healthz` until it answers 200.
    public func waitUntilServing(timeout: Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard process.isRunning else { throw TestSetupError("\(name) exited early:\n\(output)") }
            if let response = try? await get("/healthz"), response.status == 200 { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestSetupError("\(name) did not serve /healthz within \(timeout):\n\(output)")
    }

    public func get(_ path: String, timeout: TimeAmount = .seconds(15)) async throws -> (status: Int, body: String) {
        let request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        let response = try await HTTPClient.shared.execute(request, timeout: timeout)
        let body = try await response.body.collect(upTo: 4 << 20)
        return (Int(response.status.code), String(buffer: body))
    }

    /// Stops the process if it still runs; for cleanup.
    public func terminate() {
        process.send(SIGKILL)
        try? FileManager.default.removeItem(atPath: outputPath)
    }

    /// A TCP port nothing listens on right now.
    public static func freePort() throws -> Int {
        let channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).wait()
        let port = channel.localAddress?.port ?? 0
        try channel.close().wait()
        return port
    }
}
