import Foundation
import Logging
import PorterKit
import PostgresNIO
import Synchronization

/// `rows` expired rows (thirds of webhook deliveries, task events and finished side effects) under a
/// release webhook-gateway taking signed deliveries at `rate`/s: the gateway's ack latency for
/// `loadSeconds` without pruning (half before the prune, half after) and while `RetentionPruner` deletes
/// every expired row.
struct RetentionBenchmark {
    let rows: Int
    let loadSeconds: Int
    let rate: Int
    let connections: Int
    let batch: Int
    let pauseMilliseconds: Int
    let logger: Logger

    func run(_ database: DatabaseURL) async throws {
        try await withPostgres(database, logger: logger, maximumConnections: 2) { postgres in
            try await Migrator(logger: logger).migrate(postgres)
            try await RetentionSeed(rows: rows, logger: logger).seed(postgres)
            let gateway = try await GatewayProcess.start(database: database, secret: "benchmark-secret")
            defer { gateway.stop() }
            let load = try AckLoad(
                url: "http://127.0.0.1:\(gateway.port)/webhooks/github", secret: "benchmark-secret", rate: rate,
                connections: connections)
            _ = await phase(load, seconds: 2)  // connections, caches and the planner warmed up
            // Half the quiet load before the prune and half after, so a change in what else the machine
            // runs weighs on both sides alike.
            let quietBefore = await phase(load, seconds: loadSeconds / 2)
            let (busy, prune) = try await pruning(load, postgres)
            let quietAfter = await phase(load, seconds: loadSeconds - loadSeconds / 2)
            await load.shutdown()
            let quiet = quietBefore + quietAfter
            let before = report("without pruning", quiet, seconds: Double(loadSeconds))
            let during = report(
                "while pruning", busy.filter { $0.due >= prune.start && $0.due < prune.end },
                seconds: prune.end - prune.start)
            let took = prune.end - prune.start
            print(
                String(
                    format: "retention: pruned %d rows in %.2f s = %.0f rows/s (batches of %d, %d ms apart)",
                    prune.rows, took, Double(prune.rows) / took, batch, pauseMilliseconds))
            print(String(format: "retention: ack p99 while pruning / without: %.2f", during / before))
        }
    }

    /// Load for `seconds`; the samples' times count from the start of the phase.
    func phase(_ load: AckLoad, seconds: Int) async -> [AckLoad.Sample] {
        let start = ContinuousClock.now
        return await load.run(from: start) { ContinuousClock.now - start >= .seconds(seconds) }
    }

    /// Load from the start of the prune until it ended and `loadSeconds` have passed.
    func pruning(
        _ load: AckLoad, _ postgres: PostgresClient
    ) async throws -> ([AckLoad.Sample], (rows: Int, start: Double, end: Double)) {
        let start = ContinuousClock.now
        let pruned = Atomic(false)
        let pruner = RetentionPruner(
            client: postgres,
            settings: RetentionSettings(batchSize: batch, batchPause: .milliseconds(pauseMilliseconds)),
            logger: logger)
        async let samples = load.run(from: start) {
            pruned.load(ordering: .acquiring) && ContinuousClock.now - start >= .seconds(loadSeconds)
        }
        let began = ContinuousClock.now
        let rows = try await pruner.sweep(lead: AlwaysLeading())
        let ended = ContinuousClock.now
        pruned.store(true, ordering: .releasing)
        return (await samples, (rows, seconds(began - start), seconds(ended - start)))
    }

    /// Prints the latency of `window`, requests due over `seconds`, and returns their p99 in ms.
    func report(_ label: String, _ window: [AckLoad.Sample], seconds: Double) -> Double {
        let sorted = window.filter(\.ok).map(\.milliseconds).sorted()
        let p99 = percentile(sorted, 0.99)
        print(
            String(
                format:
                    "retention: gateway %@: %d acks in %.1f s (%.0f/s), p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms, %d failed",
                label, sorted.count, seconds, Double(sorted.count) / seconds, percentile(sorted, 0.5),
                percentile(sorted, 0.9), p99, sorted.last ?? .nan, window.count - sorted.count))
        return p99
    }
}
