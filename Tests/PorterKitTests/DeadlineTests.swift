import Synchronization
import Testing

@testable import PorterKit

@Suite struct DeadlineTests {
    /// Work that ends only when the test lets it, whatever cancellation says: a query written to a
    /// connection that is closing.
    final class Stuck: Sendable {
        private let waiting = Mutex<CheckedContinuation<Void, Never>?>(nil)

        func wait() async {
            await withCheckedContinuation { continuation in waiting.withLock { $0 = continuation } }
        }

        func release() async throws {
            while waiting.withLock({ $0 == nil }) { try await Task.sleep(for: .milliseconds(5)) }
            waiting.withLock { $0?.resume() }
        }
    }

    @Test func theWorksAnswerComesBackWhenItIsInTime() async throws {
        #expect(try await withDeadline(.seconds(5)) { 42 } == 42)
        await #expect(throws: DeadlinePassed.self) {
            try await withDeadline(.seconds(5)) { throw DeadlinePassed(limit: .zero) }
        }
    }

    @Test func workThatNeverEndsIsLeftBehindAtTheDeadline() async throws {
        let stuck = Stuck()
        let started = ContinuousClock.now
        await #expect(throws: DeadlinePassed.self) {
            try await withDeadline(.milliseconds(100)) { await stuck.wait() }
        }
        #expect(ContinuousClock.now - started < .seconds(5))
        try await stuck.release()
    }

    @Test func cancellingTheCallerEndsTheWaitAtOnce() async throws {
        let stuck = Stuck()
        let waiter = Task { try await withDeadline(.seconds(60)) { await stuck.wait() } }
        try await Task.sleep(for: .milliseconds(50))
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        try await stuck.release()
    }
}
