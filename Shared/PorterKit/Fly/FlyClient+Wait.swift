import NIOCore

extension FlyClient {
    /// Fly holds a wait open for at most 60 seconds.
    static let maxWaitSeconds = 60

    /// Returns once the Machine is in `state` (`started`, `stopped` or `destroyed`). Each call to
    /// `GET …/wait` lasts at most 60 s; a 408 from Fly only ends that call, so it waits again, as it
    /// does after 429s and 5xx, until `deadline` has passed. `longestCall` (seconds) shortens each call.
    public func wait(
        app: String, id: String, for state: MachineState, instanceID: String? = nil,
        deadline: Duration = .seconds(300), longestCall: Int = 60
    ) async throws {
        let clock = ContinuousClock()
        let end = clock.now + deadline
        // Retries are ours here: APIClient's would count a 408 as a failure and sleep after it.
        var waitAPI = api
        waitAPI.retry = .none
        var failures = 0
        while true {
            let remaining = end - clock.now
            guard remaining > .zero else { throw FlyError.waitDeadlineExceeded(machineID: id, state: state) }
            let seconds = min(longestCall, Self.maxWaitSeconds, max(1, Int(remaining.components.seconds)))
            waitAPI.timeout = .seconds(Int64(seconds) + 10)
            var path = Self.machinePath(app, id) + "/wait?state=\(Self.escape(state.rawValue))&timeout=\(seconds)"
            if let instanceID { path += "&instance_id=\(Self.escape(instanceID))" }
            do {
                _ = try await send(
                    APIRequest(.GET, path, operation: "wait_machine", idempotent: false), app: app, using: waitAPI)
                return
            } catch let error as APIError where error.statusCode == 408 {
                failures = 0
            } catch let error as APIError where error.isTransient {
                failures += 1
                let serverAsked: Duration? =
                    if case .status(_, _, _, _, let retryAfter) = error { retryAfter } else { nil }
                let delay = api.retry.delay(afterAttempt: failures, serverAsked: serverAsked)
                guard clock.now + delay < end else { throw error }
                try await Task.sleep(for: delay)
            }
        }
    }
}
