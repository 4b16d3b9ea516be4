/// Waits for `body` at most `limit`, then throws `DeadlinePassed` and leaves it behind. For work that
/// may never finish and does not hear cancellation: postgres-nio 1.33 can hand out a pooled connection
/// in the moment it closes (a database restart), and a query written to it then waits forever.
func withDeadline<T: Sendable>(
    _ limit: Duration, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await firstToFinish(leavesOnCancellation: true, work: body) {
        guard (try? await Task.sleep(for: limit)) != nil else { return nil }
        return DeadlinePassed(limit: limit)
    }
}

/// A wait `withDeadline` gave up on.
public struct DeadlinePassed: Error, CustomStringConvertible {
    public let limit: Duration
    public var description: String { "gave up after \(limit)" }
}
