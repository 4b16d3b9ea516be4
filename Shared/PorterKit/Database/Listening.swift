import Logging
import PostgresNIO
import Synchronization

extension PostgresClient {
    /// Listens on `channel` until the caller is cancelled, on a pooled connection, listening again
    /// after any failure (200 ms, doubling up to 10 s, between failed tries in a row).
    ///
    /// A LISTEN sent on a connection closing under a database restart can go unanswered for ever,
    /// deaf to cancellation (postgres-nio writes it without a write promise): the connection is
    /// guarded, so such a LISTEN fails once the connection is closed, and the caller's cancellation
    /// (its service shutting down) leaves it behind instead of waiting on it.
    ///
    /// - Parameters:
    ///   - lost: the warning logged when the connection is lost.
    ///   - listening: told `true` each time the LISTEN holds (notifications sent before it were
    ///     missed), `false` each time it is lost.
    ///   - notification: each notification, in order.
    func listenUntilCancelled(
        on channel: String, lost: Logger.Message, logger: Logger,
        listening: @escaping @Sendable (Bool) -> Void,
        notification: @escaping @Sendable (PostgresNotification) async -> Void
    ) async {
        let failures = Failures()
        while !Task.isCancelled {
            do {
                try await withConnection { connection in
                    try await connection.guarded(grace: .seconds(1), leavesOnCancellation: true) { connection in
                        try await connection.listen(on: channel) { notifications in
                            failures.reset()
                            listening(true)
                            for try await received in notifications { await notification(received) }
                        }
                    }
                }
            } catch {
                listening(false)
                guard !Task.isCancelled else { return }
                logger.warning(lost, metadata: ["error": "\(String(reflecting: error))"])
                let delay = RetryPolicy(baseDelay: .milliseconds(200), maxDelay: .seconds(10)).delay(
                    afterAttempt: failures.next())
                do { try await Task.sleep(for: delay) } catch { return }
            }
        }
        listening(false)
    }
}

/// Failed tries in a row.
private final class Failures: Sendable {
    private let count = Mutex(0)
    func reset() { count.withLock { $0 = 0 } }
    func next() -> Int {
        count.withLock {
            $0 += 1
            return $0
        }
    }
}
