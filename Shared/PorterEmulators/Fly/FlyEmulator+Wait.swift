import Foundation
import Hummingbird

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension FlyEmulator {
    /// The states `GET …/wait` accepts, per the swagger's enum.
    static let waitableStates: Set<String> = ["started", "stopped", "destroyed"]

    /// Blocks until the Machine is in the state asked for, or answers 408 after `timeout` seconds
    /// (at most 60, Fly's cap). A Machine that is destroyed has stopped, so it satisfies `stopped`.
    func wait(for machine: FlyMachineRecord, query: Parameters) async throws {
        let target = query["state"].map(String.init) ?? "started"
        guard Self.waitableStates.contains(target) else {
            throw FlyEmulatorError(.badRequest, "invalid state \(target): expected started, stopped or destroyed")
        }
        let timeout =
            try query["timeout"].map { text in
                guard let seconds = Int(text), (1...60).contains(seconds) else {
                    throw FlyEmulatorError(.badRequest, "invalid timeout \(text): expected 1 to 60 seconds")
                }
                return seconds
            } ?? 60
        if let instance = query["instance_id"], instance != machine.instanceID {
            throw FlyEmulatorError(.badRequest, "instance_id \(instance) is not the machine's current instance")
        }
        let deadline = ContinuousClock.now + .seconds(timeout)
        while ContinuousClock.now < deadline {
            let current = state.withLock { $0.machines[machine.id]?.state } ?? "destroyed"
            if current == target || (target == "stopped" && current == "destroyed") { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw FlyEmulatorError(.requestTimeout, "deadline_exceeded: machine did not reach \(target) in time")
    }

    static func parseDuration(_ text: String) throws -> Duration {
        let units: [(String, Double)] = [("ns", 1e-9), ("ms", 1e-3), ("s", 1), ("m", 60)]
        for (unit, scale) in units where text.hasSuffix(unit) {
            if let value = Double(text.dropLast(unit.count)), value >= 0 {
                return .milliseconds(Int64(value * scale * 1000))
            }
        }
        throw FlyEmulatorError(.badRequest, "invalid timeout \(text)")
    }

    static func parseSignal(_ name: String) throws -> Int32 {
        let signals: [String: Int32] = [
            "SIGTERM": SIGTERM, "SIGINT": SIGINT, "SIGKILL": SIGKILL, "SIGQUIT": SIGQUIT, "SIGHUP": SIGHUP,
            "SIGUSR1": SIGUSR1, "SIGUSR2": SIGUSR2,
        ]
        guard let signal = signals[name.uppercased()] else { throw FlyEmulatorError(.badRequest, "unknown signal") }
        return signal
    }
}
