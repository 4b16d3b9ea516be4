import Logging
import NIOCore
import PostgresNIO

/// The connection closed under a query that postgres-nio will never answer.
public struct ConnectionClosedWhileQuerying: Error, CustomStringConvertible {
    public var description: String { "the database connection closed while a query was in flight" }
}

extension PostgresClient {
    /// `withTransaction`, but a query the connection's closing swallowed fails instead of waiting forever.
    ///
    /// postgres-nio 1.33 writes a query to its channel without a write promise. Right after a FATAL
    /// such as a restart's `57P01` the pool may hand out, or the caller retry on, a connection whose
    /// pipeline NIO tears down a tick later; a query written after that tick is dropped silently and
    /// its caller hangs, deaf to cancellation. Such a hang needs a closed connection, so a watchdog
    /// gives up only once the connection is closed (and a grace has passed for an answer already on its
    /// way); a slow query on a healthy connection is never cut short.
    public func withGuardedTransaction<T: Sendable>(
        logger: Logger, grace: Duration = .seconds(1),
        _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        // The pool may hand out a connection that closed since it was last used (its backend was
        // terminated, the server restarted) before it has noticed: nothing ran on it, so another is
        // asked for, a moment later, twice at most. A connection that closes under `body` still fails.
        for pause in [Duration.milliseconds(50), .milliseconds(250)] {
            do {
                return try await withConnection { connection in
                    if connection.isClosed { throw ClosedBeforeUse() }
                    return try await connection.guarded(grace: grace) { connection in
                        try await connection.withTransaction(logger: logger) { try await body($0) }
                    }
                }
            } catch is ClosedBeforeUse {
                logger.debug("the pool handed out a closed connection; asking for another")
                try await Task.sleep(for: pause)
            }
        }
        return try await withConnection { connection in
            try await connection.guarded(grace: grace) { connection in
                try await connection.withTransaction(logger: logger) { try await body($0) }
            }
        }
    }
}

/// A pooled connection found closed before anything was sent on it.
private struct ClosedBeforeUse: Error {}

extension PostgresConnection {
    /// Runs `body` on this connection, failing with `ConnectionClosedWhileQuerying` when the connection
    /// closes and `body` has not finished `grace` later.
    ///
    /// - Parameter leavesOnCancellation: the caller's cancellation ends the wait at once, leaving
    ///   `body` behind. Off by default, since `body` holds this pooled connection; a caller that only
    ///   cancels at shutdown (a LISTEN that runs for the process's life) turns it on.
    func guarded<T: Sendable>(
        poll: Duration = .milliseconds(250), grace: Duration, leavesOnCancellation: Bool = false,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        if isClosed { throw ConnectionClosedWhileQuerying() }
        return try await firstToFinish(leavesOnCancellation: leavesOnCancellation, work: { try await body(self) }) {
            [self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: poll)
                if isClosed {
                    try? await Task.sleep(for: grace)
                    return ConnectionClosedWhileQuerying()
                }
            }
            return nil
        }
    }
}
