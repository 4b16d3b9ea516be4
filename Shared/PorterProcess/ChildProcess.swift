import CPorterSpawn
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A child process started with `posix_spawn` and reaped by a thread of its own.
///
/// Foundation's `Process` is not used on purpose: on Linux it lists `/proc/self/fd` to close every
/// other descriptor, copying each directory entry's whole 256-byte name, which reads past the end of
/// the listing buffer once a process holds about 1,360 descriptors and crashes it now and then. Here
/// the child closes everything from descriptor 3 up in one file action (`closefrom`), so what the
/// parent holds never matters and never leaks into the child.
///
/// The child starts with an empty signal mask and every signal at its default disposition, whatever
/// the spawning thread blocks or the parent ignores (NIO ignores SIGPIPE, and its threads and the
/// concurrency pool's block most signals), and in a process group of its own, so a terminal's ^C
/// reaches the parent only.
public final class ChildProcess: Sendable {
    /// How a child ended.
    public enum Termination: Sendable, Hashable, CustomStringConvertible {
        case exited(Int32)
        case signalled(Int32)

        /// The exit code, or the number of the signal that ended it.
        public var status: Int32 {
            switch self {
            case .exited(let code), .signalled(let code): code
            }
        }

        public var description: String {
            switch self {
            case .exited(let code): "exited with \(code)"
            case .signalled(let signal): "ended by signal \(signal)"
            }
        }
    }

    public struct SpawnError: Error, CustomStringConvertible {
        public var executable: String
        public var step: String
        public var code: Int32

        public var description: String {
            "cannot start \(executable): \(step) failed: \(String(cString: strerror(code))) (errno \(code))"
        }
    }

    private struct State {
        var termination: Termination?
        var waiters: [CheckedContinuation<Termination, Never>] = []
    }

    public let pid: pid_t
    public let executable: String
    private let state = Mutex(State())

    private init(pid: pid_t, executable: String) {
        self.pid = pid
        self.executable = executable
    }

    /// Starts `executable` (an absolute path) with exactly `environment`. Standard input, output and
    /// error are the descriptors given, each duplicated into the child, or /dev/null when nil; the
    /// caller keeps and closes its own. `onExit` runs once, on the reaping thread, after the child
    /// was reaped.
    public static func spawn(
        _ executable: String,
        arguments: [String] = [],
        environment: [String: String],
        directory: String? = nil,
        standardInput: Int32? = nil,
        standardOutput: Int32? = nil,
        standardError: Int32? = nil,
        onExit: (@Sendable (Termination) -> Void)? = nil
    ) throws -> ChildProcess {
        let pid = try launch(
            executable, arguments: arguments, environment: environment, directory: directory,
            descriptors: [standardInput, standardOutput, standardError])
        let child = ChildProcess(pid: pid, executable: executable)
        Thread.detachNewThread { child.reap(then: onExit) }
        return child
    }

    /// How the child ended, or nil while it runs.
    public var termination: Termination? { state.withLock { $0.termination } }

    public var isRunning: Bool { termination == nil }

    /// Waits for the child to end. Cancelling the waiting task does not end the child.
    public func terminated() async -> Termination {
        await withCheckedContinuation { continuation in
            let ended: Termination? = state.withLock { state in
                if let termination = state.termination { return termination }
                state.waiters.append(continuation)
                return nil
            }
            if let ended { continuation.resume(returning: ended) }
        }
    }

    /// Waits up to `timeout` for the child to end; nil when it still runs.
    public func terminated(within timeout: Duration) async -> Termination? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let termination { return termination }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return termination
    }

    /// Sends `signal` unless the child was already reaped (its pid may belong to another process
    /// then). Returns whether it was sent.
    @discardableResult
    public func send(_ signal: Int32) -> Bool {
        state.withLock { state in
            guard state.termination == nil else { return false }
            return kill(pid, signal) == 0
        }
    }

    /// Waits for the child to end without reaping it, then records how it ended and reaps it under
    /// the same lock `send` takes, so a signal can never reach a process that reused the pid.
    private func reap(then onExit: (@Sendable (Termination) -> Void)?) {
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR {}
        let (ended, waiters) = state.withLock { state in
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            let termination = Self.termination(status)
            state.termination = termination
            defer { state.waiters = [] }
            return (termination, state.waiters)
        }
        for waiter in waiters { waiter.resume(returning: ended) }
        onExit?(ended)
    }

    private static func termination(_ status: Int32) -> Termination {
        let signal = status & 0x7f
        return signal == 0 ? .exited((status >> 8) & 0xff) : .signalled(signal)
    }

    private static func launch(
        _ executable: String, arguments: [String], environment: [String: String], directory: String?,
        descriptors: [Int32?]
    ) throws -> pid_t {
        func check(_ step: String, _ code: Int32) throws {
            if code != 0 { throw SpawnError(executable: executable, step: step, code: code) }
        }

        #if canImport(Darwin)
            var actions: posix_spawn_file_actions_t? = nil
            var attributes: posix_spawnattr_t? = nil
        #else
            var actions = posix_spawn_file_actions_t()
            var attributes = posix_spawnattr_t()
        #endif
        try check("posix_spawn_file_actions_init", posix_spawn_file_actions_init(&actions))
        defer { posix_spawn_file_actions_destroy(&actions) }
        try check("posix_spawnattr_init", posix_spawnattr_init(&attributes))
        defer { posix_spawnattr_destroy(&attributes) }

        for (target, source) in descriptors.enumerated() {
            let target = Int32(target)
            if let source {
                try check("dup2 of descriptor \(source)", posix_spawn_file_actions_adddup2(&actions, source, target))
            } else {
                try check(
                    "opening /dev/null",
                    posix_spawn_file_actions_addopen(
                        &actions, target, "/dev/null", target == 0 ? O_RDONLY : O_WRONLY, 0))
            }
        }
        var flags = Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP)
        #if canImport(Darwin)
            flags |= Int32(POSIX_SPAWN_CLOEXEC_DEFAULT)
        #else
            try check("closing inherited descriptors", porter_spawn_file_actions_addclosefrom(&actions, 3))
        #endif
        if let directory {
            try check("changing directory to \(directory)", porter_spawn_file_actions_addchdir(&actions, directory))
        }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        try check("posix_spawnattr_setsigmask", posix_spawnattr_setsigmask(&attributes, &noSignals))
        try check("posix_spawnattr_setsigdefault", posix_spawnattr_setsigdefault(&attributes, &allSignals))
        try check("posix_spawnattr_setpgroup", posix_spawnattr_setpgroup(&attributes, 0))
        try check("posix_spawnattr_setflags", posix_spawnattr_setflags(&attributes, Int16(flags)))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var pid = pid_t()
        try check("posix_spawn", posix_spawn(&pid, executable, &actions, &attributes, argv, envp))
        return pid
    }
}
