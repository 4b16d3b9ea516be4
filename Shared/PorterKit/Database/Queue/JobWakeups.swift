import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// Tells a worker loop when to look for jobs: on every `NOTIFY` on the jobs channel, and on a
/// backstop timer, because notifications are not persisted (one sent while the listener was
/// reconnecting is lost). Wake-ups coalesce: a slow worker sees one, not a backlog.
public final class JobWakeups: Service, Sendable {
    public let wakeups: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation
    private let client: PostgresClient
    private let channel: String
    private let backstop: Duration
    private let logger: Logger
    /// When the one pending timed wake-up fires, if one is pending.
    private let timer = Mutex<ContinuousClock.Instant?>(nil)

    public init(
        client: PostgresClient, channel: String = PostgresJobQueue.channel,
        backstop: Duration = .seconds(5), logger: Logger
    ) {
        (wakeups, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
        self.client = client
        self.channel = channel
        self.backstop = backstop
        self.logger = logger
    }

    public func run() async throws {
        continuation.yield()
        await withDiscardingTaskGroup { group in
            group.addTask { await self.listen() }
            group.addTask { await self.poll() }
            try? await gracefulShutdown()
            group.cancelAll()
        }
        continuation.finish()
    }

    /// Wakes the loop after `delay` (capped at the backstop, which wakes it anyway): for work that
    /// becomes due at a known time, such as a deferred side effect. Only the earliest request is kept.
    public func wake(after delay: Duration) {
        // A floor, so an effect that looks due but is locked by a transaction still open is no busy loop.
        let when = ContinuousClock.now + min(max(delay, .milliseconds(50)), backstop)
        let isEarliest = timer.withLock { pending in
            guard pending.map({ when < $0 }) ?? true else { return false }
            pending = when
            return true
        }
        guard isEarliest else { return }
        Task { [self] in
            try? await Task.sleep(until: when)
            self.timer.withLock { pending in if pending == when { pending = nil } }
            continuation.yield()
        }
    }

    private func poll() async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: backstop) } catch { return }
            continuation.yield()
        }
    }

    private func listen() async {
        await client.listenUntilCancelled(
            on: channel, lost: "job notifications lost; reconnecting", logger: logger,
            // Anything may have arrived while nothing listened.
            listening: { [continuation] holds in if holds { continuation.yield() } },
            notification: { [continuation] _ in continuation.yield() })
    }
}
