import Logging
import PostgresNIO
import Prometheus

/// Deletes rows past their table's horizon (`RetentionSettings`) in small batches, each its own short
/// transaction, so no lock is held for long and the WAL grows a batch at a time. Tasks and their
/// attempts are kept. A round that fails half-way leaves every finished batch deleted; the next round
/// picks up what is left.
public struct RetentionPruner: WatchdogSweep {
    public var name: String { "retention" }
    public var interval: Duration { settings.interval }

    let client: PostgresClient
    let settings: RetentionSettings
    let logger: Logger
    let pruned: [RetainedTable: Counter]

    public init(client: PostgresClient, settings: RetentionSettings, logger: Logger, metrics: ServiceMetrics? = nil) {
        self.client = client
        self.settings = settings
        self.logger = logger
        var pruned: [RetainedTable: Counter] = [:]
        for table in RetainedTable.allCases {
            pruned[table] = metrics?.counter(
                "retention_pruned_rows", help: "Rows the retention sweep deleted, by table.",
                labels: [("table", table.rawValue)])
        }
        self.pruned = pruned
    }

    /// Prunes every table in turn and answers how many rows went; stops between batches when the lead is lost.
    public func sweep(lead: any Leadership) async throws -> Int {
        var total = 0
        for table in RetainedTable.allCases where lead.isLeading {
            total += try await prune(table, lead: lead)
        }
        return total
    }

    /// Deletes `table`'s expired rows a batch at a time until a batch comes back short.
    public func prune(_ table: RetainedTable, lead: any Leadership) async throws -> Int {
        let horizon = table.horizon(in: settings)
        let started = ContinuousClock.now
        var total = 0
        defer {
            if total > 0 {
                logger.info(
                    "pruned old rows",
                    metadata: [
                        "table": "\(table.rawValue)", "rows": "\(total)", "horizon": "\(horizon)",
                        "duration": "\(ContinuousClock.now - started)",
                    ])
            }
        }
        while lead.isLeading {
            try Task.checkCancellation()
            let query = table.deleteBatch(olderThan: horizon, limit: settings.batchSize)
            let deleted = try await withDeadline(settings.batchTimeout) { [client, logger] in
                try await client.query(query, logger: logger).collect().first?.decode(Int.self) ?? 0
            }
            total += deleted
            pruned[table]?.increment(by: Int64(deleted))
            if deleted < settings.batchSize { break }
            if settings.batchPause > .zero { try await Task.sleep(for: settings.batchPause) }
        }
        return total
    }
}
