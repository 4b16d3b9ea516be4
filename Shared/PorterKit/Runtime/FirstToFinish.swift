import Synchronization

/// Runs `work` beside `watchdog`, both unstructured, and returns whichever ends first: `work`'s
/// result, or the error the watchdog gives up with. The loser is cancelled and left behind, so a
/// `work` that never returns (and does not hear cancellation) cannot hold its caller.
///
/// - Parameter leavesOnCancellation: the caller's cancellation also ends the wait at once. Leave it
///   off when `work` still uses something the caller gives back on return (a pooled connection).
func firstToFinish<T: Sendable>(
    leavesOnCancellation: Bool,
    work: @escaping @Sendable () async throws -> T,
    watchdog: @escaping @Sendable () async -> (any Error)?
) async throws -> T {
    let race = Race<T>()
    let wait = {
        try await withCheckedThrowingContinuation { continuation in
            race.start(continuation, work: work, watchdog: watchdog)
            if leavesOnCancellation, Task.isCancelled { race.finish(.failure(CancellationError())) }
        }
    }
    guard leavesOnCancellation else { return try await wait() }
    return try await withTaskCancellationHandler(operation: wait) {
        race.finish(.failure(CancellationError()))
    }
}

/// The caller's continuation and the two tasks; the first ending resumes the caller, once.
private final class Race<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var tasks: [Task<Void, Never>] = []
    }

    private let state = Mutex(State())

    /// Stores the continuation before either task exists, so no ending can come before it.
    func start(
        _ continuation: CheckedContinuation<T, any Error>, work: @escaping @Sendable () async throws -> T,
        watchdog: @escaping @Sendable () async -> (any Error)?
    ) {
        state.withLock { $0.continuation = continuation }
        let worker = Task {
            do { finish(.success(try await work())) } catch { finish(.failure(error)) }
        }
        let watcher = Task {
            guard let error = await watchdog() else { return }
            finish(.failure(error))
        }
        let ended = state.withLock { state in
            state.tasks = [worker, watcher]
            return state.continuation == nil
        }
        if ended {
            worker.cancel()
            watcher.cancel()
        }
    }

    func finish(_ result: Result<T, any Error>) {
        let (continuation, tasks) = state.withLock { state in
            defer {
                state.continuation = nil
                state.tasks = []
            }
            return (state.continuation, state.tasks)
        }
        guard let continuation else { return }
        for task in tasks { task.cancel() }
        continuation.resume(with: result)
    }
}
