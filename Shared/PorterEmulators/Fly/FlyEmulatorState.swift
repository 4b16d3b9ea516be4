import Foundation

/// What a token may do, as Fly scopes them: an org token acts on every app of its org and may list
/// and create apps there; an app-scoped (deploy) token acts only on its one app.
public enum FlyTokenScope: Sendable, Equatable {
    case organization(String)
    case app(String)
}

struct FlyAppRecord: Sendable {
    var id: String
    var name: String
    var org: String
    /// The private network it was created on; nil for the org's default network.
    var network: String?
    var createdAt = Date()
}

struct FlyMachineRecord: Sendable {
    var id: String
    var app: String
    var name: String
    var region: String
    var instanceID: String
    var config: FlyWire.Config
    var state: String
    var createdAt: Date
    var updatedAt: Date
    var restarts = 0
    var exitCode: Int32?

    var wire: FlyWire.Machine {
        FlyWire.Machine(
            id: id, name: name, state: state, region: region, instanceID: instanceID,
            privateIP: "fdaa:0:1::\(id.suffix(4))", config: config,
            createdAt: FlyEmulatorState.timestamp(createdAt), updatedAt: FlyEmulatorState.timestamp(updatedAt))
    }
}

/// Everything the emulator knows, behind one lock.
struct FlyEmulatorState: Sendable {
    var orgs: [String: String] = [:]
    var tokens: [String: FlyTokenScope] = [:]
    var apps: [String: FlyAppRecord] = [:]
    var machines: [String: FlyMachineRecord] = [:]
    var requests: [FlyEmulator.ReceivedRequest] = []
    var limiter = FlyEmulatorRateLimiter()
    var enforcesRateLimits = true
    var serial = 0

    mutating func nextID(length: Int = 14) -> String {
        serial += 1
        let hex = String(serial, radix: 16)
        let random = (0..<length).map { _ in "0123456789abcdef".randomElement()! }
        return String(random.prefix(length - hex.count)) + hex
    }

    mutating func setState(_ state: String, of id: String) {
        machines[id]?.state = state
        machines[id]?.updatedAt = Date()
    }

    static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}
