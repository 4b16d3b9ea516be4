import Foundation
import PorterProcess
import PorterTestSupport
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The spawner behind the emulators' git and Machine processes and the tests' service binaries.
@Suite struct ChildProcessTests {
    /// Runs `command` and returns how it ended and what it printed.
    static func output(
        _ command: [String], environment: [String: String] = ProcessInfo.processInfo.environment,
        in directory: String? = nil
    ) async throws -> (ChildProcess.Termination, String) {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("child-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: url) }
        let child: ChildProcess
        do {
            let handle = try FileHandle(forWritingTo: url)
            defer { try? handle.close() }
            child = try ChildProcess.spawn(
                command[0], arguments: Array(command.dropFirst()), environment: environment, directory: directory,
                standardOutput: handle.fileDescriptor, standardError: handle.fileDescriptor)
        }
        let termination = await child.terminated()
        return (termination, try String(contentsOf: url, encoding: .utf8))
    }

    /// Foundation's `Process` crashed this test process now and then once it held about 1,360
    /// descriptors (it lists them all to close them in the child). Spawning must not care how many
    /// the parent holds, and none of them may reach the child.
    @Test func aParentHoldingThousandsOfDescriptorsSpawnsAndLeaksNoneOfThem() async throws {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        let wanted = rlim_t(4096)
        if limit.rlim_cur < wanted, limit.rlim_max >= wanted {
            limit.rlim_cur = wanted
            setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        let held = (0..<1_500).compactMap { _ in FileHandle(forReadingAtPath: "/dev/null") }
        defer { for handle in held { try? handle.close() } }
        #expect(held.count == 1_500)
        #expect((held.last?.fileDescriptor ?? 0) > 1_500)

        let runs = try await withThrowingTaskGroup(of: (ChildProcess.Termination, String).self) { group in
            for _ in 0..<8 { group.addTask { try await Self.output(["/bin/ls", "/proc/self/fd"]) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(runs.count == 8)
        for (termination, listing) in runs {
            #expect(termination == .exited(0))
            // ls's own listing descriptor is the only one past standard input, output and error.
            let descriptors = Set(listing.split(whereSeparator: \.isWhitespace).compactMap { Int($0) })
            #expect(descriptors.isSubset(of: [0, 1, 2, 3]), "\(listing)")
            #expect(descriptors.isSuperset(of: [0, 1, 2]), "\(listing)")
        }
    }

    /// The concurrency pool's and NIO's threads block most signals and a server may ignore SIGPIPE:
    /// a child must start with nothing blocked or ignored, or a stopped worker would never see SIGTERM.
    @Test func aChildStartsWithNoSignalBlockedOrIgnoredWhateverItsParentDoes() async throws {
        let previous = signal(SIGPIPE, SIG_IGN)
        defer { signal(SIGPIPE, previous) }
        let spawned = Mutex<Result<ChildProcess, any Error>?>(nil)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("child-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: url) }
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        let thread = Thread {
            var blocked = sigset_t()
            sigfillset(&blocked)
            pthread_sigmask(SIG_SETMASK, &blocked, nil)
            let result = Result {
                try ChildProcess.spawn(
                    "/bin/grep", arguments: ["-E", "^Sig(Blk|Ign):", "/proc/self/status"], environment: [:],
                    standardOutput: handle.fileDescriptor)
            }
            spawned.withLock { $0 = result }
        }
        thread.start()
        let child = try await waitFor { spawned.withLock { $0 } }.get()
        #expect(await child.terminated() == .exited(0))
        let status = try String(contentsOf: url, encoding: .utf8)
        // The masks are hexadecimal, bit n-1 for signal n; the standard signals are 1 to 31 (glibc
        // keeps two real-time ones of its own above them).
        func standardSignals(_ field: String) -> UInt64? {
            status.split(separator: "\n").first { $0.hasPrefix("\(field):") }
                .flatMap { UInt64($0.split(separator: "\t").last ?? "", radix: 16) }
                .map { $0 & 0x7fff_ffff }
        }
        #expect(standardSignals("SigBlk") == 0, "\(status)")
        #expect(standardSignals("SigIgn") == 0, "\(status)")
    }

    @Test func exitCodesSignalsAndAReapedChildAreToldApart() async throws {
        let (exited, _) = try await Self.output(["/bin/sh", "-c", "exit 3"])
        #expect(exited == .exited(3))
        #expect(exited.status == 3)

        let sleeper = try ChildProcess.spawn("/bin/sleep", arguments: ["60"], environment: [:])
        #expect(sleeper.isRunning)
        #expect(sleeper.send(SIGKILL))
        let killed = await sleeper.terminated()
        #expect(killed == .signalled(SIGKILL))
        #expect(killed.status == SIGKILL)
        #expect(!sleeper.isRunning)
        // Its pid may belong to somebody else by now: nothing is sent.
        #expect(!sleeper.send(SIGTERM))

        // Signalled once its trap is in place, which it says by creating a file.
        let ready = FileManager.default.temporaryDirectory.appendingPathComponent("trap-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: ready) }
        let trapping = try ChildProcess.spawn(
            "/bin/sh", arguments: ["-c", "trap 'exit 7' TERM; : > \"$1\"; while :; do sleep 0.05; done", "sh", ready],
            environment: [:])
        try await waitUntil("the trap is in place") { FileManager.default.fileExists(atPath: ready) }
        trapping.send(SIGTERM)
        #expect(await trapping.terminated(within: .seconds(30)) == .exited(7))
    }

    @Test func aChildRunsInTheDirectoryAndEnvironmentItIsGiven() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("child-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let (termination, output) = try await Self.output(
            ["/bin/sh", "-c", "pwd; echo \"[$ONLY]\"; echo \"[$HOME]\""], environment: ["ONLY": "this"],
            in: directory.path)
        #expect(termination == .exited(0))
        let lines = output.split(separator: "\n").map(String.init)
        #expect(
            lines.first.map { URL(fileURLWithPath: $0).resolvingSymlinksInPath().path }
                == directory.resolvingSymlinksInPath().path)
        #expect(Array(lines.dropFirst()) == ["[this]", "[]"])
    }

    @Test func aProgramThatCannotStartIsAnErrorNamingItAndWhy() throws {
        let error = try #require(throws: ChildProcess.SpawnError.self) {
            try ChildProcess.spawn("/nonexistent/porter-program", environment: [:])
        }
        #expect(error.code == ENOENT)
        #expect("\(error)".contains("/nonexistent/porter-program"))
        #expect("\(error)".contains("No such file or directory"))

        let missing = try #require(throws: ChildProcess.SpawnError.self) {
            try ChildProcess.spawn("/bin/true", environment: [:], directory: "/nonexistent/directory")
        }
        #expect(missing.code == ENOENT)
    }

    private func waitFor<T>(_ value: () -> T?) async throws -> T {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if let value = value() { return value }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw CancellationError()
    }
}
