import Foundation
import HTTPTypes
import Hummingbird

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension FlyEmulator {
    func addMachineRoutes(to router: Router<BasicRequestContext>) {
        router.get("/v1/apps/:app/machines") { request, context in
            let app = try context.parameters.require("app")
            try self.authorize(request, app: app)
            return try FlyJSON.response(self.list(app: app, query: request.uri.queryParameters))
        }
        router.post("/v1/apps/:app/machines") { request, context in
            let app = try context.parameters.require("app")
            try self.authorize(request, app: app)
            let body = try await FlyJSON.decode(FlyWire.CreateMachineRequest.self, from: request)
            let machine = try self.create(app: app, body)
            self.launch(machine.id)
            return try FlyJSON.response(machine.wire)
        }
        router.get("/v1/apps/:app/machines/:id") { request, context in
            let machine = try self.machine(request, context)
            return try FlyJSON.response(machine.wire)
        }
        router.delete("/v1/apps/:app/machines/:id") { request, context in
            let machine = try self.machine(request, context)
            let force = request.uri.queryParameters["force"] == "true"
            guard force || !["started", "starting", "stopping"].contains(machine.state) else {
                throw FlyEmulatorError(
                    .preconditionFailed,
                    "failed_precondition: unable to destroy machine, not currently stopped, suspended or failed")
            }
            if machine.state != "destroyed" { self.destroy(machine.id) }
            return try FlyJSON.response(FlyWire.OK(ok: true))
        }
        router.post("/v1/apps/:app/machines/:id/stop") { request, context in
            let machine = try self.machine(request, context)
            let body = try await Self.stopRequest(request)
            let grace = try body.timeout.map(Self.parseDuration) ?? self.options.stopGracePeriod
            let signal = try body.signal.map(Self.parseSignal) ?? SIGTERM
            self.stop(machine.id, signal: signal, grace: grace)
            return try FlyJSON.response(FlyWire.OK(ok: true))
        }
        router.get("/v1/apps/:app/machines/:id/wait") { request, context in
            let machine = try self.machine(request, context)
            try await self.wait(for: machine, query: request.uri.queryParameters)
            return try FlyJSON.response(FlyWire.OK(ok: true))
        }
    }

    func machine(_ request: Request, _ context: BasicRequestContext) throws -> FlyMachineRecord {
        let app = try context.parameters.require("app")
        let id = try context.parameters.require("id")
        try authorize(request, app: app)
        guard let machine = state.withLock({ $0.machines[id] }), machine.app == app else {
            throw FlyEmulatorError(.notFound, "machine not found")
        }
        return machine
    }

    func create(app: String, _ body: FlyWire.CreateMachineRequest) throws -> FlyMachineRecord {
        guard var config = body.config, config.image?.isEmpty == false else {
            throw FlyEmulatorError(.badRequest, "config.image is required")
        }
        if config.guest == nil { config.guest = FlyWire.Guest(cpuKind: "shared", cpus: 1, memoryMB: 256) }
        return try state.withLock { state in
            let id = state.nextID()
            let name = body.name ?? "machine-\(id)"
            // Fly keeps Machine names unique within an app while the Machine exists.
            if state.machines.values.contains(where: { $0.app == app && $0.name == name && $0.state != "destroyed" }) {
                throw FlyEmulatorError(.conflict, "already_exists: a machine with name \(name) already exists")
            }
            let now = Date()
            let record = FlyMachineRecord(
                id: id, app: app, name: name, region: body.region ?? options.defaultRegion,
                instanceID: state.nextID(length: 26).uppercased(), config: config, state: "created", createdAt: now,
                updatedAt: now)
            state.machines[id] = record
            return record
        }
    }

    func list(app: String, query: Parameters) -> [FlyWire.Machine] {
        let includeDeleted = query["include_deleted"] == "true"
        let region = query["region"].map(String.init)
        var metadata: [String: String] = [:]
        for (key, value) in query where key.hasPrefix("metadata.") {
            metadata[String(key.dropFirst("metadata.".count))] = String(value)
        }
        return state.withLock { state in
            state.machines.values
                .filter { machine in
                    machine.app == app && (includeDeleted || machine.state != "destroyed")
                        && (region == nil || machine.region == region)
                        && metadata.allSatisfy { machine.config.metadata?[$0.key] == $0.value }
                }
                .sorted { $0.createdAt < $1.createdAt }
                .map(\.wire)
        }
    }

    static func stopRequest(_ request: Request) async throws -> FlyWire.StopRequest {
        var request = request
        let body = try await request.collectBody(upTo: 1 << 16)
        guard body.readableBytes > 0 else { return FlyWire.StopRequest() }
        do {
            return try JSONDecoder().decode(FlyWire.StopRequest.self, from: Data(buffer: body))
        } catch {
            throw FlyEmulatorError(.badRequest, "invalid stop request: \(error)")
        }
    }
}
