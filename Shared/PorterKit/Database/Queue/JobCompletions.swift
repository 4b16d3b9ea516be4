import Logging
import PostgresNIO

/// A queue's completions, gathered: each `complete` waits for the statement that deletes its job,
/// and completions arriving while one statement runs go together in the next. At one completion at a
/// time this is the single `DELETE` it always was; under load, a few statements (and commits, each
/// waiting on the disk) carry many jobs. Each job is still deleted only where `lease_owner` is the
/// completer's, so a claimer that lost its lease cannot complete, and each caller learns its own answer.
actor JobCompletions {
    /// The most jobs one statement deletes.
    static let batchLimit = 256

    struct Waiting {
        var id: Int64
        var owner: String
        var continuation: CheckedContinuation<Bool, any Error>
    }

    let client: PostgresClient
    let logger: Logger
    private var waiting: [Waiting] = []
    private var draining = false

    init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Deletes job `id` if `owner` holds it; false when it does not (its lease went to another claimer).
    func complete(_ id: Int64, owner: String) async throws -> Bool {
        try await withCheckedThrowingContinuation { continuation in
            waiting.append(Waiting(id: id, owner: owner, continuation: continuation))
            if !draining {
                draining = true
                Task { await self.drain() }
            }
        }
    }

    private func drain() async {
        while !waiting.isEmpty {
            let batch = Array(waiting.prefix(Self.batchLimit))
            waiting.removeFirst(batch.count)
            do {
                let deleted = try await delete(batch)
                for entry in batch { entry.continuation.resume(returning: deleted.contains(entry.id)) }
            } catch {
                for entry in batch { entry.continuation.resume(throwing: error) }
            }
        }
        draining = false
    }

    private func delete(_ batch: [Waiting]) async throws -> Set<Int64> {
        let ids = batch.map(\.id)
        let owners = batch.map(\.owner)
        var deleted: Set<Int64> = []
        let rows = try await client.query(
            """
            DELETE FROM jobs USING unnest(\(ids)::bigint[], \(owners)::text[]) AS done(id, owner)
            WHERE jobs.id = done.id AND jobs.lease_owner = done.owner
            RETURNING jobs.id
            """, logger: logger)
        for try await id in rows.decode(Int64.self) { deleted.insert(id) }
        return deleted
    }
}
