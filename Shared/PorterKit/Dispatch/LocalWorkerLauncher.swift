import CPorterSpawn
import Foundation

/// Workers as local child processes (`PORTER_RUNTIME=local`), for single-box deployments and the
/// local stack. A pidfile per attempt keeps a relaunch from starting a second worker.
public struct LocalWorkerLauncher: WorkerLauncher {
    /// The worker entrypoint and its arguments.
    let command: [String]
    /// Where pidfiles and worker logs go.
    let stateDirectory: URL

    public init(command: [String], stateDirectory: URL) {
        self.command = command
        self.stateDirectory = stateDirectory
    }

    public func launch(_ launch: WorkerLaunch) async throws -> String {
        try FileManager.default.createDirectory(at: stateDirectory, withIntermediateDirectories: true)
        let pidfile = stateDirectory.appendingPathComponent("\(launch.machineName).pid")
        if let text = try? String(contentsOf: pidfile, encoding: .utf8), let pid = Int32(text),
            Self.isWorker(pid: pid, for: launch)
        {
            return "local-\(pid)"
        }
        guard !command.isEmpty else { throw LocalWorkerError.noCommand }
        let log = stateDirectory.appendingPathComponent("\(launch.machineName).log")
        // The worker's whole environment: its task identity and token, and where to find programs.
        var environment = launch.environment
        environment["PATH"] = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let pid = try Self.spawn(command, environment: environment, output: log.path)
        try String(pid).write(to: pidfile, atomically: true, encoding: .utf8)
        return "local-\(pid)"
    }

    /// Stops the local worker `id` of the attempt: SIGTERM, then SIGKILL to its whole session (the agent
    /// and anything it left) if it has not exited after `grace`. A pid that is no longer the attempt's
    /// worker (it exited and the number was reused) is left alone.
    public static func stop(id: String, taskID: UUID, attempt: Int, grace: Duration = .seconds(10)) async {
        guard id.hasPrefix("local-"), let pid = Int32(id.dropFirst("local-".count)), pid > 1,
            isWorker(pid: pid, taskID: taskID, attempt: attempt), kill(pid, SIGTERM) == 0
        else { return }
        let end = ContinuousClock.now + grace
        while ContinuousClock.now < end, isWorker(pid: pid, taskID: taskID, attempt: attempt) {
            try? await Task.sleep(for: .milliseconds(100))
        }
        if isWorker(pid: pid, taskID: taskID, attempt: attempt) { kill(-pid, SIGKILL) }
    }

    /// The pid is alive and is this attempt's worker, not a process that reused the number.
    static func isWorker(pid: Int32, for launch: WorkerLaunch) -> Bool {
        isWorker(pid: pid, taskID: launch.taskID, attempt: launch.attempt)
    }

    /// The pid is alive and its environment names the task and attempt.
    static func isWorker(pid: Int32, taskID: UUID, attempt: Int) -> Bool {
        guard kill(pid, 0) == 0, let environ = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else {
            return false
        }
        let entries = Set(environ.split(separator: 0).map { String(decoding: $0, as: UTF8.self) })
        return entries.contains("PORTER_TASK_ID=\(taskID.uuidString.lowercased())")
            && entries.contains("PORTER_ATTEMPT=\(attempt)")
    }

    /// A session of its own (so no controlling terminal: an agent under the worker cannot type into the
    /// terminal the dispatcher was started from) where the platform has it; a process group elsewhere.
    static var newSession: Int32 {
        #if os(Linux)
            // glibc's POSIX_SPAWN_SETSID (since 2.26), which its header shows only under _GNU_SOURCE.
            0x80
        #else
            Int32(POSIX_SPAWN_SETPGROUP)
        #endif
    }

    /// Starts `command` with every signal at its default disposition and none blocked. A service
    /// running a ServiceGroup ignores SIGTERM process-wide (it catches it another way), and an ignored
    /// signal stays ignored across exec: a worker spawned plainly could never be stopped gracefully.
    static func spawn(_ command: [String], environment: [String: String], output: String) throws -> pid_t {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var all = sigset_t()
        sigfillset(&all)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | Self.newSession))

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // Nothing else of the dispatcher's (its database and GitHub connections, its logs) reaches the
        // worker and the agent under it, whether or not it was opened close-on-exec.
        let closed = porter_spawn_file_actions_addclosefrom(&actions, 3)
        guard closed == 0 else { throw LocalWorkerError.spawnFailed(String(cString: strerror(closed))) }

        let arguments = command.map { strdup($0) } + [nil]
        let variables = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            arguments.forEach { free($0) }
            variables.forEach { free($0) }
        }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, command[0], &actions, &attributes, arguments, variables)
        guard status == 0 else { throw LocalWorkerError.spawnFailed(String(cString: strerror(status))) }
        // Reap the worker when it exits, so it never lingers as a zombie.
        let child = pid
        Thread.detachNewThread {
            var exitStatus: Int32 = 0
            _ = waitpid(child, &exitStatus, 0)
        }
        return child
    }
}

public enum LocalWorkerError: Error, CustomStringConvertible {
    case noCommand
    case spawnFailed(String)

    public var description: String {
        switch self {
        case .noCommand: "no local worker command is configured"
        case .spawnFailed(let reason): "the local worker could not start: \(reason)"
        }
    }
}
