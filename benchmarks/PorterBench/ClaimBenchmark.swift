import Foundation
import Logging
import PorterKit
import PostgresNIO

/// How fast dispatch jobs can be claimed: `claimers` concurrent loops (dispatcher replicas), each
/// claiming up to `batch` jobs in one query (a dispatcher with that many free slots) and completing
/// each job on its own, concurrently, as the dispatcher's job tasks do, until `jobs` are gone.
struct ClaimBenchmark {
    let jobs: Int
    let claimers: Int
    let batch: Int
    let logger: Logger

    func run(_ database: DatabaseURL) async throws {
        try await withPostgres(database, logger: logger, maximumConnections: claimers * 4 + 2) { client in
            _ = try await Migrator(logger: logger).migrate(client)
            try await client.query("TRUNCATE jobs", logger: logger)
            try await client.withTransaction(logger: logger) { connection in
                for index in 0..<jobs {
                    let job = NewJob(kind: .dispatch, priority: TaskPriority(rank: Int16(index % 3)) ?? .normal)
                    try await PostgresJobQueue.enqueue(job, on: connection, logger: logger)
                }
            }
            let queue = PostgresJobQueue(client: client, logger: logger)
            let start = ContinuousClock.now
            let claimed = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<claimers {
                    group.addTask {
                        let owner = "bench-\(index)"
                        var count = 0
                        while true {
                            let claimed = try await queue.claim(
                                kinds: ["dispatch"], owner: owner, lease: .seconds(60), limit: batch)
                            if claimed.isEmpty { return count }
                            try await withThrowingDiscardingTaskGroup { completions in
                                for job in claimed {
                                    completions.addTask { _ = try await queue.complete(job.id, owner: owner) }
                                }
                            }
                            count += claimed.count
                        }
                    }
                }
                return try await group.reduce(0, +)
            }
            let elapsed = seconds(ContinuousClock.now - start)
            print(
                String(
                    format:
                        "claims: %d jobs claimed (up to %d per query) and completed by %d claimers in %.2f s = %.0f claims/s",
                    claimed, batch, claimers, elapsed, Double(claimed) / elapsed))
        }
    }
}
