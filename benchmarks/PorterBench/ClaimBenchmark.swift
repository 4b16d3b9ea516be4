import Foundation
import Logging
import PorterKit
import PostgresNIO

/// How fast dispatch jobs can be claimed: `claimers` concurrent loops (dispatcher replicas), each
/// claiming up to `batch` jobs in one query (a dispatcher with that many free slots) and completing
/// each job on its own, concurrently, as the dispatcher's job tasks do, until `jobs` are gone. As in
/// the dispatcher, a job's slot frees when its (here empty) work is done, so the next claim runs while
/// the completions commit; every completion is awaited before the clock stops.
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
            // As autovacuum leaves a queue that has been running: the planner knows how many jobs wait.
            try await client.query("ANALYZE jobs", logger: logger)
            let queue = PostgresJobQueue(client: client, logger: logger)
            let start = ContinuousClock.now
            let claimed = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<claimers {
                    group.addTask {
                        let owner = "bench-\(index)"
                        return try await withThrowingTaskGroup(of: Bool.self) { completions in
                            var count = 0
                            var pending = 0
                            var lost = 0
                            func settle(_ completed: Bool?) {
                                pending -= 1
                                if completed == false { lost += 1 }
                            }
                            while true {
                                // Completions in flight are bounded: the claimer never runs far ahead of them.
                                while pending > batch { settle(try await completions.next()) }
                                let claimed = try await queue.claim(
                                    kinds: ["dispatch"], owner: owner, lease: .seconds(60), limit: batch)
                                if claimed.isEmpty { break }
                                for job in claimed {
                                    completions.addTask { try await queue.complete(job.id, owner: owner) }
                                }
                                pending += claimed.count
                                count += claimed.count
                            }
                            while pending > 0 { settle(try await completions.next()) }
                            precondition(lost == 0, "\(lost) completions found their lease lost")
                            return count
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
