import Foundation
import Logging
import PostgresNIO

/// Re-encrypts every sealed value under the keyring's primary key, so older keys can be retired. It
/// works while the services serve: batches in primary-key order over the rows not yet under the
/// primary key, each batch its own short transaction, and each row rewritten only if it still holds
/// what was read (a value a service changed meanwhile is read again on the next pass, or is already
/// under the new key). An interrupted run keeps its finished batches; the next run does the rest.
public struct KeyRotation: Sendable {
    let client: PostgresClient
    let keyring: EncryptionKeyring
    let batchSize: Int
    /// Passes over a table while services keep rewriting rows under an old key; then the run says so.
    let maxPasses: Int
    let logger: Logger

    public init(
        client: PostgresClient, keyring: EncryptionKeyring, batchSize: Int = 500, maxPasses: Int = 5, logger: Logger
    ) {
        self.client = client
        self.keyring = keyring
        self.batchSize = max(1, batchSize)
        self.maxPasses = max(1, maxPasses)
        self.logger = logger
    }

    /// Rotates every sealed table in turn. `afterBatch` runs after each committed batch with the
    /// table and the rows it re-encrypted; whatever it throws stops the run there.
    public func run(
        afterBatch: @Sendable (SealedTable, Int) async throws -> Void = { _, _ in }
    ) async throws -> KeyRotationReport {
        var tables: [KeyRotationReport.Table] = []
        for table in SealedTable.allCases {
            tables.append(try await rotate(table, afterBatch: afterBatch))
        }
        return KeyRotationReport(keyID: keyring.primary.id, tables: tables)
    }

    func rotate(
        _ table: SealedTable, afterBatch: @Sendable (SealedTable, Int) async throws -> Void
    ) async throws -> KeyRotationReport.Table {
        var result = KeyRotationReport.Table(table: table)
        var pass = 0
        var changed = 0
        repeat {
            pass += 1
            changed = 0
            var cursor: SealedTable.RowKey?
            while true {
                try Task.checkCancellation()
                let batch = try await rotateBatch(table, after: cursor)
                for problem in batch.unreadable where !result.unreadable.contains(problem) {
                    logger.error(
                        "a sealed value opens with no configured key; left as it is",
                        metadata: [
                            "table": "\(table.rawValue)", "row": "\(problem.row)", "reason": "\(problem.reason)",
                        ])
                    result.unreadable.append(problem)
                }
                result.reencrypted += batch.reencrypted
                changed += batch.changed
                if batch.read > 0 {
                    logger.info(
                        "re-encrypted a batch",
                        metadata: [
                            "table": "\(table.rawValue)", "rows": "\(batch.reencrypted)",
                            "unreadable": "\(batch.unreadable.count)", "total": "\(result.reencrypted)",
                        ])
                    try await afterBatch(table, batch.reencrypted)
                }
                guard batch.read == batchSize, let last = batch.last else { break }
                cursor = last
            }
            // A row a service rewrote under an old key while this pass ran comes round again.
        } while changed > 0 && pass < maxPasses
        result.remaining =
            try await client.query(table.remaining(notUnder: keyring.primary.id), logger: logger).collect().first?
            .decode(Int.self) ?? 0
        logger.info(
            "table done",
            metadata: [
                "table": "\(table.rawValue)", "rows": "\(result.reencrypted)",
                "unreadable": "\(result.unreadable.count)",
                "remaining": "\(result.remaining)",
            ])
        return result
    }

    struct Batch {
        var read = 0
        var reencrypted = 0
        /// Rows a service changed between the read and the rewrite.
        var changed = 0
        var unreadable: [KeyRotationReport.Unreadable] = []
        var last: SealedTable.RowKey?
    }

    func rotateBatch(_ table: SealedTable, after cursor: SealedTable.RowKey?) async throws -> Batch {
        let primary = keyring.primary.id
        return try await client.withTransaction(logger: logger) { connection in
            // A row a service holds locked makes this batch wait for it, never the other way round for long.
            try await connection.query("SET LOCAL lock_timeout = '10s'", logger: logger)
            let rows = try await connection.query(
                table.batch(notUnder: primary, after: cursor, limit: batchSize), logger: logger
            ).collect().map(table.row(from:))
            var batch = Batch(read: rows.count, last: rows.last?.key)
            for row in rows {
                let values: [[UInt8]?]
                do {
                    values = try reseal(row)
                } catch {
                    batch.unreadable.append(
                        KeyRotationReport.Unreadable(table: table, row: row.key.description, reason: "\(error)"))
                    continue
                }
                let updated = try await connection.query(
                    table.replace(row, keyID: primary, values: values), logger: logger
                ).collect()
                if updated.isEmpty { batch.changed += 1 } else { batch.reencrypted += 1 }
            }
            return batch
        }
    }

    /// The row's values opened and sealed again under the primary key, each with its own context.
    func reseal(_ row: SealedTable.SealedRow) throws -> [[UInt8]?] {
        try zip(row.values, row.key.contexts).map { value, context in
            guard let value else { return nil }
            let plaintext = try open(SealedValue(keyID: row.keyID, combined: value), context: context)
            return try keyring.seal(plaintext, context: context).combined
        }
    }

    /// Opens with the key the row names, else with any configured key: a key renamed in
    /// `PORTER_ENCRYPTION_KEYS` still opens what it sealed under its old id.
    func open(_ sealed: SealedValue, context: String) throws -> [UInt8] {
        do {
            return try keyring.open(sealed, context: context)
        } catch let failure {
            for key in keyring.keys where key.id != sealed.keyID {
                if let plaintext = try? keyring.open(
                    SealedValue(keyID: key.id, combined: sealed.combined), context: context)
                {
                    return plaintext
                }
            }
            throw failure
        }
    }
}

/// What a key rotation did, table by table.
public struct KeyRotationReport: Sendable {
    /// A value no configured key opens: where it is and why, never the value.
    public struct Unreadable: Sendable, Equatable, CustomStringConvertible {
        public var table: SealedTable
        public var row: String
        public var reason: String

        public var description: String { "\(table.rawValue) \(row): \(reason)" }
    }

    public struct Table: Sendable {
        public var table: SealedTable
        public var reencrypted = 0
        public var unreadable: [Unreadable] = []
        /// Values still not under the primary key when the table was done.
        public var remaining = 0
    }

    /// The primary key's id: every value the rotation wrote is under it.
    public var keyID: String
    public var tables: [Table]

    public var reencrypted: Int { tables.reduce(0) { $0 + $1.reencrypted } }
    public var unreadable: [Unreadable] { tables.flatMap(\.unreadable) }
    public var remaining: Int { tables.reduce(0) { $0 + $1.remaining } }
    /// Every sealed value is under the primary key: the older keys can be removed.
    public var isComplete: Bool { remaining == 0 }

    /// The summary an operator reads at the end of `rotate-keys`.
    public var summary: [String] {
        var lines = tables.map { table in
            "\(table.table.rawValue): \(table.reencrypted) re-encrypted, \(table.unreadable.count) unreadable"
        }
        lines += unreadable.map { "unreadable: \($0)" }
        let others = remaining - unreadable.count
        if reencrypted == 0 && remaining == 0 {
            lines.append("nothing to do: every sealed value is already under key '\(keyID)'")
        } else if remaining == 0 {
            lines.append("done: every sealed value is under key '\(keyID)'; older keys may be removed")
        }
        if !unreadable.isEmpty {
            lines.append(
                "\(unreadable.count) value(s) open with no configured key and were left as they are: add the key "
                    + "they were sealed with and run again, or have them set anew")
        }
        if others > 0 {
            lines.append(
                "\(others) value(s) were written under an older key while this ran: give every service key "
                    + "'\(keyID)' first, then run rotate-keys again")
        }
        return lines
    }
}
