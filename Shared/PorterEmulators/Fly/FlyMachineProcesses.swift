import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The local child processes standing in for Machines' main processes, one per Machine at most.
/// Output goes to files rather than pipes so a chatty worker can never block on a full pipe.
final class FlyMachineProcesses: Sendable {
    /// `Process` is not Sendable; it is only touched under `running`'s lock or after it exited.
    private final class Handle: @unchecked Sendable {
        let process: Process
        var exited = false
        init(_ process: Process) { self.process = process }
    }

    let outputDirectory: URL
    private let running = Mutex<[String: Handle]>([:])

    init() {
        outputDirectory = FileManager.default.temporaryDirectory
            .appendingPathComponent("fly-emulator-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: outputDirectory, withIntermediateDirectories: true)
    }

    func outputURL(_ machineID: String, _ stream: String) -> URL {
        outputDirectory.appendingPathComponent("\(machineID).\(stream)")
    }

    /// Starts `command` with exactly `environment` plus PATH; `onExit` gets the exit status.
    func start(
        machineID: String, command: [String], environment: [String: String],
        onExit: @escaping @Sendable (Int32) -> Void
    ) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        var env = environment
        env["PATH"] = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        process.environment = env
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try Self.appendHandle(outputURL(machineID, "stdout"))
        process.standardError = try Self.appendHandle(outputURL(machineID, "stderr"))
        let handle = Handle(process)
        process.terminationHandler = { [self] finished in
            self.running.withLock { table in
                handle.exited = true
                if table[machineID] === handle { table[machineID] = nil }
            }
            onExit(finished.terminationStatus)
        }
        try running.withLock { table in
            try Self.runWithDefaultSignalMask(handle)
            table[machineID] = handle
        }
    }

    /// A child inherits the signal mask of the thread that spawns it, and NIO's and the concurrency
    /// pool's threads block most signals: spawned from there, a worker would never see SIGTERM.
    private static func runWithDefaultSignalMask(_ handle: Handle) throws {
        let failure = Mutex<String?>(nil)
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            var empty = sigset_t()
            sigemptyset(&empty)
            pthread_sigmask(SIG_SETMASK, &empty, nil)
            do { try handle.process.run() } catch { failure.withLock { $0 = "\(error)" } }
            done.signal()
        }
        thread.start()
        done.wait()
        if let message = failure.withLock({ $0 }) { throw SpawnError(message: message) }
    }

    struct SpawnError: Error { var message: String }

    /// Sends `signal`, then SIGKILL when the process is still there after `grace`.
    func stop(machineID: String, signal: Int32 = SIGTERM, grace: Duration) {
        guard let pid = send(signal, to: machineID) else { return }
        Task {
            try? await Task.sleep(for: grace)
            running.withLock { table in
                if let handle = table[machineID], !handle.exited, handle.process.processIdentifier == pid {
                    kill(pid, SIGKILL)
                }
            }
        }
    }

    func isRunning(_ machineID: String) -> Bool {
        running.withLock { $0[machineID].map { !$0.exited } ?? false }
    }

    /// Ends every process now: for tests and shutdown.
    func killAll() {
        running.withLock { table in
            for handle in table.values where !handle.exited { kill(handle.process.processIdentifier, SIGKILL) }
        }
    }

    @discardableResult
    func send(_ signal: Int32, to machineID: String) -> Int32? {
        running.withLock { table in
            guard let handle = table[machineID], !handle.exited else { return nil }
            let pid = handle.process.processIdentifier
            kill(pid, signal)
            return pid
        }
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
