import Foundation
import Hummingbird
import Logging
import NIOPosix
import PorterEmulators
import PorterKit
import PostgresNIO
import ServiceLifecycle
import _CryptoExtras

/// `porter-bench claims|dispatch|callbacks|retention|agent-stats`: measurements behind the README's performance section, against
/// the PostgreSQL named by `DATABASE_URL` (a database the benchmark may wipe).
@main
struct PorterBench {
    static func main() async throws {
        var logger = Logger(label: "porter-bench")
        logger.logLevel = .warning
        guard let text = ProcessInfo.processInfo.environment["DATABASE_URL"] else {
            FileHandle.standardError.write(Data("DATABASE_URL is required\n".utf8))
            exit(2)
        }
        let database = try DatabaseURL.parse(text)
        let arguments = Array(CommandLine.arguments.dropFirst())
        func option(_ name: String, _ fallback: Int) -> Int {
            guard let index = arguments.firstIndex(of: "--\(name)"), index + 1 < arguments.count else {
                return fallback
            }
            return Int(arguments[index + 1]) ?? fallback
        }
        switch arguments.first {
        case "claims":
            try await ClaimBenchmark(
                jobs: option("jobs", 20_000), claimers: option("claimers", 4), batch: option("batch", 16),
                logger: logger
            ).run(database)
        case "dispatch":
            try await DispatchBenchmark(
                users: option("users", 50), tasksPerUser: option("tasks-per-user", 4), rate: option("rate", 20),
                logger: logger
            ).run(database)
        case "callbacks":
            try await CallbackBenchmark(
                tasks: option("tasks", 2_000), workers: option("workers", 32), copies: option("copies", 3),
                logger: logger
            ).run(database)
        case "retention":
            try await RetentionBenchmark(
                rows: option("rows", 100_000), loadSeconds: option("seconds", 10), rate: option("rate", 300),
                connections: option("connections", 16), batch: option("batch", RetentionSettings().batchSize),
                pauseMilliseconds: option("pause", Int(RetentionSettings().batchPause / .milliseconds(1))),
                logger: logger
            ).run(database)
        case "agent-stats":
            try await AgentStatsBenchmark(tasks: option("tasks", 100_000), runs: option("runs", 40), logger: logger)
                .run(database)
        default:
            print(
                "usage: porter-bench claims [--jobs N] [--claimers N] [--batch N] | dispatch [--users N] [--tasks-per-user N] [--rate N] | callbacks [--tasks N] [--workers N] [--copies N] | retention [--rows N] [--seconds N] [--rate N] [--connections N] [--batch N] [--pause MS] | agent-stats [--tasks N] [--runs N]"
            )
            exit(2)
        }
    }
}

/// Percentiles of a sample, for printing.
func percentile(_ sorted: [Double], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return .nan }
    return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

/// A TCP port nothing listens on right now.
func freePort() throws -> Int {
    let channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .bind(host: "127.0.0.1", port: 0).wait()
    defer { try? channel.close().wait() }
    return channel.localAddress?.port ?? 0
}
