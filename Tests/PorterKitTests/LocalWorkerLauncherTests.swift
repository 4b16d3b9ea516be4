import Foundation
import PorterKit
import Testing

@Suite(.timeLimit(.minutes(1))) struct LocalWorkerLauncherTests {
    static func launch() -> WorkerLaunch {
        let id = UUID()
        return WorkerLaunch(
            taskID: id, attempt: 1, machineName: TaskAttempt.machineName(taskID: id, number: 1),
            callbackURL: URL(string: "http://127.0.0.1:8082")!, token: TaskToken.generate(),
            deadline: Date().addingTimeInterval(600))
    }

    static func directory() -> URL {
        URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("porter-local-\(UUID().uuidString)")
    }

    static func eventually(_ condition: () -> Bool) async throws -> Bool {
        for _ in 0..<200 {
            if condition() { return true }
            try await Task.sleep(for: .milliseconds(25))
        }
        return condition()
    }

    /// A worker that writes its environment, then waits for SIGTERM and records that it got it.
    static func worker(in directory: URL) -> [String] {
        let out = directory.appendingPathComponent("out").path
        return [
            "/bin/sh", "-c",
            "env > '\(out).env'; trap 'echo term > \(out).term; exit 0' TERM; while true; do sleep 0.05; done",
        ]
    }

    @Test func theWorkerSeesOnlyItsTaskEnvironmentAndStopsOnSIGTERM() async throws {
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let launcher = LocalWorkerLauncher(command: Self.worker(in: directory), stateDirectory: directory)
        let launch = Self.launch()
        // A dispatcher runs in a ServiceGroup that handles SIGTERM itself, which sets the signal to
        // ignored process-wide; an ignored signal stays ignored across exec unless the spawn resets it.
        let previous = signal(SIGTERM, SIG_IGN)
        let id = try await launcher.launch(launch)
        signal(SIGTERM, previous)
        #expect(id.hasPrefix("local-"))
        let envFile = directory.appendingPathComponent("out.env").path
        #expect(try await Self.eventually { FileManager.default.fileExists(atPath: envFile) })
        try await Task.sleep(for: .milliseconds(100))
        let names = Set(
            try String(contentsOfFile: envFile, encoding: .utf8).split(separator: "\n")
                .compactMap { $0.split(separator: "=", maxSplits: 1).first.map(String.init) })
        #expect(names.isSuperset(of: Set(launch.environment.keys)))
        #expect(
            names.subtracting(launch.environment.keys).subtracting(["PATH", "PWD", "SHLVL", "_"]).isEmpty, "\(names)")

        await LocalWorkerLauncher.stop(id: id, taskID: launch.taskID, attempt: 1)
        let termFile = directory.appendingPathComponent("out.term").path
        #expect(
            try await Self.eventually { FileManager.default.fileExists(atPath: termFile) },
            "SIGTERM never reached the worker")
    }

    /// The agent runs under the worker: nothing the dispatcher holds may reach it, even a descriptor
    /// opened without close-on-exec.
    @Test func theWorkerInheritsNoDescriptorOfTheDispatcher() async throws {
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("fds").path
        let inheritable = open("/dev/null", O_RDONLY)
        #expect(inheritable > 2 && fcntl(inheritable, F_GETFD) & FD_CLOEXEC == 0)
        defer { close(inheritable) }
        let launcher = LocalWorkerLauncher(
            command: ["/bin/sh", "-c", "ls /proc/$$/fd > '\(out).tmp' && mv '\(out).tmp' '\(out)'"],
            stateDirectory: directory)
        _ = try await launcher.launch(Self.launch())
        #expect(try await Self.eventually { FileManager.default.fileExists(atPath: out) })
        let descriptors = Set(
            try String(contentsOfFile: out, encoding: .utf8).split(whereSeparator: \.isWhitespace).compactMap {
                Int($0)
            })
        // The shell's own: standard input, output (the log) and error, and what it opened for the redirect.
        #expect(!descriptors.contains(Int(inheritable)), "\(descriptors)")
        #expect(descriptors.isSuperset(of: [0, 1, 2]) && descriptors.count <= 5, "\(descriptors)")
    }

    @Test func launchingTheSameAttemptAgainReturnsTheRunningWorker() async throws {
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let launcher = LocalWorkerLauncher(command: ["/bin/sh", "-c", "exec sleep 30"], stateDirectory: directory)
        let launch = Self.launch()
        let first = try await launcher.launch(launch)
        let second = try await launcher.launch(launch)
        #expect(first == second)
        let otherLaunch = Self.launch()
        let other = try await launcher.launch(otherLaunch)
        #expect(other != first)
        await LocalWorkerLauncher.stop(id: first, taskID: launch.taskID, attempt: 1)
        await LocalWorkerLauncher.stop(id: other, taskID: otherLaunch.taskID, attempt: 1)
    }

    @Test func aMissingEntrypointIsAClearError() async throws {
        let launcher = LocalWorkerLauncher(command: ["/nonexistent/porter-worker"], stateDirectory: Self.directory())
        await #expect(throws: LocalWorkerError.self) { _ = try await launcher.launch(Self.launch()) }
    }

    @Test func theWorkerLeadsASessionOfItsOwnWithNoControllingTerminal() async throws {
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let launcher = LocalWorkerLauncher(command: Self.worker(in: directory), stateDirectory: directory)
        let launch = Self.launch()
        let id = try await launcher.launch(launch)
        defer { Task { await LocalWorkerLauncher.stop(id: id, taskID: launch.taskID, attempt: 1, grace: .zero) } }
        let pid = try #require(Int32(id.dropFirst("local-".count)))
        // /proc/<pid>/stat: pid (comm) state ppid pgrp session tty_nr …
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        let fields = stat[stat.range(of: ") ")!.upperBound...].split(separator: " ")
        #expect(fields[3] == "\(pid)", "the worker leads its own session")
        #expect(fields[4] == "0", "the worker has no controlling terminal")
    }
}
