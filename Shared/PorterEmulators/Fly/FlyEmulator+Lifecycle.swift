import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The Machine state machine (https://fly.io/docs/machines/machine-states/):
/// created → starting → started → stopping → stopped, and destroying → destroyed from any of them.
/// An image the emulator has no command for ends in `failed`, Fly's persistent state for a Machine
/// that could not start; it is not auto-destroyed, so the failure stays visible to the caller.
extension FlyEmulator {
    func launch(_ machineID: String) {
        Task {
            try? await Task.sleep(for: options.startDelay)
            startProcess(machineID)
        }
    }

    func startProcess(_ machineID: String) {
        let config: FlyWire.Config? = state.withLock { state in
            guard let machine = state.machines[machineID], ["created", "starting", "stopped"].contains(machine.state)
            else { return nil }
            state.setState("starting", of: machineID)
            return machine.config
        }
        guard let config else { return }
        guard let image = config.image, let command = options.images[image], !command.isEmpty else {
            state.withLock { $0.setState("failed", of: machineID) }
            return
        }
        do {
            try processes.start(machineID: machineID, command: command, environment: config.env ?? [:]) {
                [weak self] status in self?.processExited(machineID, status: status)
            }
            let abandoned = state.withLock { state -> Bool in
                guard state.machines[machineID]?.state == "starting" else { return true }
                state.setState("started", of: machineID)
                return false
            }
            // Destroyed while it was starting: the process must not outlive its Machine.
            if abandoned { processes.send(SIGKILL, to: machineID) }
        } catch {
            state.withLock { $0.setState("failed", of: machineID) }
        }
    }

    /// The main process ended: destroyed when that was asked for, restarted when the policy says so,
    /// otherwise stopped, and then destroyed when the config has `auto_destroy`.
    func processExited(_ machineID: String, status: Int32) {
        enum Next { case none, restart, destroy }
        let next: Next = state.withLock { state in
            guard var machine = state.machines[machineID] else { return .none }
            machine.exitCode = status
            state.machines[machineID] = machine
            if machine.state == "destroying" {
                state.setState("destroyed", of: machineID)
                return .none
            }
            let wasStopped = machine.state == "stopping"
            let policy = machine.config.restart?.policy ?? "on-failure"
            let maxRetries = machine.config.restart?.maxRetries ?? 10
            let restart =
                !wasStopped
                && (policy == "always" || (policy == "on-failure" && status != 0 && machine.restarts < maxRetries))
            state.setState("stopped", of: machineID)
            if restart {
                state.machines[machineID]?.restarts += 1
                return .restart
            }
            return machine.config.autoDestroy == true ? .destroy : .none
        }
        switch next {
        case .none: break
        case .restart: startProcess(machineID)
        case .destroy:
            state.withLock { state in
                state.setState("destroying", of: machineID)
                state.setState("destroyed", of: machineID)
            }
        }
    }

    /// `POST …/stop`: the stop signal now, SIGKILL after the grace period.
    func stop(_ machineID: String, signal: Int32, grace: Duration) {
        let running = state.withLock { state -> Bool in
            guard state.machines[machineID]?.state == "started" else { return false }
            state.setState("stopping", of: machineID)
            return true
        }
        if running { processes.stop(machineID: machineID, signal: signal, grace: grace) }
    }

    /// `DELETE …/machines/{id}?force=true`: kills a running process; destroyed once it is gone.
    func destroy(_ machineID: String) {
        let wasRunning = state.withLock { state -> Bool in
            state.setState("destroying", of: machineID)
            return processes.isRunning(machineID)
        }
        if wasRunning, processes.send(SIGKILL, to: machineID) != nil { return }
        state.withLock { $0.setState("destroyed", of: machineID) }
    }
}
