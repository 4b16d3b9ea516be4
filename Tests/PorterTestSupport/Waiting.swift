/// A condition the test waited for and that never came.
public struct ConditionNeverMet: Error, CustomStringConvertible {
    public let description: String
}

/// Waits until `condition` holds, looking every 20 ms, for `timeout` at most (room for a loaded machine).
public func waitUntil(
    _ what: String, timeout: Duration = .seconds(30), _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        guard ContinuousClock.now < deadline else { throw ConditionNeverMet(description: "never: \(what)") }
        try await Task.sleep(for: .milliseconds(20))
    }
}
