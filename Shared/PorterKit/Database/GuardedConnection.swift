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
    public func withGuardedTransaction<T: Sendable>(
        logger: Logger, grace: Duration = .seconds(1),
        _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await withConnection { connection in
            try await connection.guarded(grace: grace) { connection in
                try await connection.withTransaction(logger: logger) { try await body($0) }
            }
        }
    }
}

extension PostgresConnection {
    /// Runs `body` on this connection, failing with `ConnectionClosedWhileQuerying` when the connection
    /// closes and `body` has not finished `grace` later.
    func guarded<T: Sendable>(
        poll: Duration = .milliseconds(250), grace: Duration,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        if isClosed { throw ConnectionClosedWhileQuerying() }
        let race = GuardRace<T>()
        return try await withCheckedThrowingContinuation { continuation in
            race.start(continuation)
            // Unstructured on purpose: a structured child that never returns would hold its parent.
            Task { [self] in
                do { race.finish(.success(try await body(self))) } catch { race.finish(.failure(error)) }
            }
            race.watch(
                Task { [self] in
                    while !Task.isCancelled {
                        try? await Task.sleep(for: poll)
                        if isClosed {
                            try? await Task.sleep(for: grace)
                            race.finish(.failure(ConnectionClosedWhileQuerying()))
                            return
                        }
                    }
                })
        }
    }
}

/// The work and its watchdog: whichever ends first resumes the caller, once.
private final class GuardRace<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var watchdog: Task<Void, Never>?
    }

    private let state = Mutex(State())

    func start(_ continuation: CheckedContinuation<T, any Error>) {
        state.withLock { $0.continuation = continuation }
    }

    func watch(_ watchdog: Task<Void, Never>) {
        let finished = state.withLock { state in
            state.watchdog = watchdog
            return state.continuation == nil
        }
        if finished { watchdog.cancel() }
    }

    func finish(_ result: Result<T, any Error>) {
        let (continuation, watchdog) = state.withLock { state in
            defer {
                state.continuation = nil
                state.watchdog = nil
            }
            return (state.continuation, state.watchdog)
        }
        watchdog?.cancel()
        continuation?.resume(with: result)
    }
}
