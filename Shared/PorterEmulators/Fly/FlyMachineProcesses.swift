import Foundation
import PorterProcess
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The local child processes standing in for Machines' main processes, one per Machine at most.
/// Output goes to files rather than pipes so a chatty worker can never block on a full pipe.
final class FlyMachineProcesses: Sendable {
    let outputDirectory: URL
    private let running = Mutex<[String: ChildProcess]>([:])

    init() {
        outputDirectory = FileManager.default.temporaryDirectory
            .appendingPathComponent("fly-emulator-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: outputDirectory, withIntermediateDirectories: true)
    }

    func outputURL(_ machineID: String, _ stream: String) -> URL {
        outputDirectory.appendingPathComponent("\(machineID).\(stream)")
    }

    /// Starts `command` with exactly `environment` plus PATH; `onExit` gets the exit status (or the
    /// number of the signal that ended it). The child starts with no signals blocked, so a worker
    /// always sees the SIGTERM of a stop.
    func start(
        machineID: String, command: [String], environment: [String: String],
        onExit: @escaping @Sendable (Int32) -> Void
    ) throws {
        var env = environment
        env["PATH"] = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        let stdout = try Self.appendHandle(outputURL(machineID, "stdout"))
        let stderr = try Self.appendHandle(outputURL(machineID, "stderr"))
        defer { for handle in [stdout, stderr] { try? handle.close() } }
        try running.withLock { table in
            let child = try ChildProcess.spawn(
                command[0], arguments: Array(command.dropFirst()), environment: env,
                standardOutput: stdout.fileDescriptor, standardError: stderr.fileDescriptor
            ) { [self] termination in
                self.running.withLock { table in
                    if table[machineID]?.termination != nil { table[machineID] = nil }
                }
                onExit(termination.status)
            }
            table[machineID] = child
        }
    }

    /// Sends `signal`, then SIGKILL when the process is still there after `grace`.
    func stop(machineID: String, signal: Int32 = SIGTERM, grace: Duration) {
        guard let child = running.withLock({ $0[machineID] }), child.send(signal) else { return }
        Task {
            try? await Task.sleep(for: grace)
            child.send(SIGKILL)
        }
    }

    func isRunning(_ machineID: String) -> Bool {
        running.withLock { $0[machineID]?.isRunning ?? false }
    }

    /// Ends every process now: for tests and shutdown.
    func killAll() {
        for child in running.withLock({ Array($0.values) }) { child.send(SIGKILL) }
    }

    @discardableResult
    func send(_ signal: Int32, to machineID: String) -> Int32? {
        guard let child = running.withLock({ $0[machineID] }), child.send(signal) else { return nil }
        return child.pid
    }

    private static func appendHandle(_ url: URL) throws -> FileHandle {
        if !FileManager.default.fileExists(atPath: url.path) {
            _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        }
        let handle = try FileHandle(forWritingTo: url)
        handle.seekToEndOfFile()
        return handle
    }
}
