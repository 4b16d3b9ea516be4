/// Serialises mutating calls per installation, as GitHub asks: one at a time, each sent at least
/// `spacing` after the previous one was answered. Spacing from the answer rather than the departure
/// keeps arrivals at GitHub a full second apart however long each request spent in transit.
actor MutationGate {
    private var busy: Set<String> = []
    private var waiting: [String: [CheckedContinuation<Void, Never>]] = [:]
    private var lastAnswered: [String: ContinuousClock.Instant] = [:]
    private let clock = ContinuousClock()

    /// Waits for `key` to be free and `spacing` to have passed since its last call was answered.
    func enter(_ key: String, spacing: Duration) async throws {
        if busy.contains(key) {
            await withCheckedContinuation { waiting[key, default: []].append($0) }
        } else {
            busy.insert(key)
        }
        if let last = lastAnswered[key] {
            let ready = last + spacing
            if ready > clock.now {
                do {
                    try await Task.sleep(until: ready, clock: clock)
                } catch {
                    leave(key)
                    throw error
                }
            }
        }
    }

    /// Records the answer and hands `key` to the next waiting call.
    func leave(_ key: String) {
        let now = clock.now
        lastAnswered[key] = now
        if var queue = waiting[key], !queue.isEmpty {
            let next = queue.removeFirst()
            waiting[key] = queue.isEmpty ? nil : queue
            next.resume()
        } else {
            busy.remove(key)
            // Forget installations that have been quiet for a while, so memory follows live ones.
            if lastAnswered.count > 1024 {
                lastAnswered = lastAnswered.filter { now - $0.value < .seconds(60) || busy.contains($0.key) }
            }
        }
    }
}
