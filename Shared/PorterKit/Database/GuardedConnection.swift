import Logging
import NIOCore
import PostgresNIO
import Synchronization

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
    ///
    /// - Parameter connectionWait: how long to wait for a connection before failing with
    ///   `DatabaseUnavailable` (the server is down or restarting, and the pool keeps trying to
    ///   connect); nil waits as long as it takes. Once `body` has begun, no deadline applies.
    public func withGuardedTransaction<T: Sendable>(
        logger: Logger, grace: Duration = .seconds(1), connectionWait: Duration? = nil,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        let giveUp = connectionWait.map { ContinuousClock.now + $0 }
        // The pool may hand out a connection that closed since it was last used (its backend was
        // terminated, the server restarted) before it has noticed: nothing ran on it, so another is
        // asked for, a moment later, twice at most. A connection that closes under `body` still fails.
        for pause in [Duration.milliseconds(50), .milliseconds(250)] {
            do {
                return try await withConnection(before: giveUp) { connection in
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
        return try await withConnection(before: giveUp) { connection in
            try await connection.guarded(grace: grace) { connection in
                try await connection.withTransaction(logger: logger) { try await body($0) }
            }
        }
    }

    /// `withConnection`, failing with `DatabaseUnavailable` when no connection was handed out by
    /// `deadline`. The pool hears the cancellation of a waiting lease, so nothing is left waiting; a
    /// connection that comes after the deadline goes back unused.
    func withConnection<T: Sendable>(
        before deadline: ContinuousClock.Instant?, _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        guard let deadline else { return try await withConnection { try await body($0) } }
        let lease = LeaseWait()
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                do {
                    return try await self.withConnection { connection in
                        guard lease.begin() else { throw lease.unavailable }
                        return try await body(connection)
                    }
                } catch is CancellationError where lease.gaveUp {
                    throw lease.unavailable
                }
            }
            group.addTask {
                // Cancelled (when `body` ended first) or not, only a lease still waiting is given up.
                try? await Task.sleep(until: deadline)
                if lease.giveUp() { throw lease.unavailable }
                return nil
            }
            while let result = try await group.next() {
                if let result {
                    group.cancelAll()
                    return result
                }
            }
            // Unreachable: the first task either returns or throws, and the second ends it on giving up.
            throw lease.unavailable
        }
    }
}

/// No connection could be had in time: the database is down, restarting or out of connections.
public struct DatabaseUnavailable: Error, CustomStringConvertible {
    public var description: String { "no database connection became available in time" }
}

/// Whether a lease began before its deadline, decided once.
private final class LeaseWait: Sendable {
    private enum State { case waiting, began, gaveUp }
    private let state = Mutex(State.waiting)
    let unavailable = DatabaseUnavailable()

    /// The connection came: true unless the deadline passed first.
    func begin() -> Bool {
        state.withLock { state in
            guard state == .waiting else { return state == .began }
            state = .began
            return true
        }
    }

    /// The deadline passed: true when no connection came before it.
    func giveUp() -> Bool {
        state.withLock { state in
            guard state == .waiting else { return state == .gaveUp }
            state = .gaveUp
            return true
        }
    }

    var gaveUp: Bool { state.withLock { $0 == .gaveUp } }
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
