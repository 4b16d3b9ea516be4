import Synchronization

/// Waits for `body` at most `limit`, then throws `DeadlinePassed` and leaves it behind. For work that
/// may never finish and does not hear cancellation: postgres-nio 1.33 can hand out a pooled connection
/// in the moment it closes (a database restart), and a query written to it then waits forever.
func withDeadline<T: Sendable>(
    _ limit: Duration, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    let race = DeadlineRace<T>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { continuation in
            race.start(continuation, limit: limit, body)
            if Task.isCancelled { race.finish(.failure(CancellationError())) }
        }
    } onCancel: {
        race.finish(.failure(CancellationError()))
    }
}

/// A wait `withDeadline` gave up on.
public struct DeadlinePassed: Error, CustomStringConvertible {
    public let limit: Duration
    public var description: String { "gave up after \(limit)" }
}

/// The work and its timer; whichever ends first resumes the caller, once, and cancels the other.
private final class DeadlineRace<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var tasks: [Task<Void, Never>] = []
    }

    private let state = Mutex(State())

    /// Stores the caller's continuation before either task exists, so no ending can come before it.
    func start(
        _ continuation: CheckedContinuation<T, any Error>, limit: Duration,
        _ body: @escaping @Sendable () async throws -> T
    ) {
        state.withLock { $0.continuation = continuation }
        let work = Task {
            do { finish(.success(try await body())) } catch { finish(.failure(error)) }
        }
        let timer = Task {
            guard (try? await Task.sleep(for: limit)) != nil else { return }
            finish(.failure(DeadlinePassed(limit: limit)))
        }
        let ended = state.withLock { state in
            state.tasks = [work, timer]
            return state.continuation == nil
        }
        if ended {
            work.cancel()
            timer.cancel()
        }
    }

    func finish(_ result: Result<T, any Error>) {
        let (continuation, tasks) = state.withLock { state in
            defer { state.continuation = nil }
            return (state.continuation, state.tasks)
        }
        guard let continuation else { return }
        for task in tasks { task.cancel() }
        continuation.resume(with: result)
    }
}
