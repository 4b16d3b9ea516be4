import NIOHTTP1

extension FlyClient {
    static func machinesPath(_ app: String) -> String { "/v1/apps/\(escape(app))/machines" }

    static func machinePath(_ app: String, _ id: String) -> String { "\(machinesPath(app))/\(escape(id))" }

    /// Creates and starts a Machine, once: never retried here, because a create whose answer was lost
    /// may have taken effect. Use `createMachineIfAbsent` to retry safely.
    public func createMachine(app: String, _ request: CreateMachineRequest) async throws -> Machine {
        let operation = "create_machine"
        let call = try Self.jsonRequest(
            .POST, Self.machinesPath(app), operation: operation, body: request, idempotent: false)
        return try decode(Machine.self, try await send(call, app: app), operation: operation)
    }

    /// `GET /v1/apps/{app}/machines/{id}`.
    public func machine(app: String, id: String) async throws -> Machine {
        let response = try await send(APIRequest(.GET, Self.machinePath(app, id), operation: "get_machine"), app: app)
        return try decode(Machine.self, response, operation: "get_machine")
    }

    /// The app's Machines whose `config.metadata` holds every pair of `metadata`.
    public func machines(
        app: String, metadata: [String: String] = [:], includeDeleted: Bool = false
    ) async throws -> [Machine] {
        var query = metadata.sorted { $0.key < $1.key }.map {
            "metadata.\(Self.escape($0.key))=\(Self.escape($0.value))"
        }
        if includeDeleted { query.append("include_deleted=true") }
        let path = Self.machinesPath(app) + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
        let response = try await send(APIRequest(.GET, path, operation: "list_machines"), app: app)
        let machines = try decode([Machine].self, response, operation: "list_machines")
        // The filter is also applied here so that a server ignoring it can never widen the answer.
        return machines.filter { machine in
            metadata.allSatisfy { machine.config?.metadata?[$0.key] == $0.value }
        }
    }

    /// Asks the Machine to stop: `signal` (default SIGTERM) now, SIGKILL after `timeout`.
    /// Safe to repeat, so it is retried on 429 and 5xx.
    public func stopMachine(app: String, id: String, signal: String? = nil, timeout: Duration? = nil) async throws {
        let body = FlyStopRequest(signal: signal, timeout: timeout.map { "\($0.components.seconds)s" })
        let call = try Self.jsonRequest(
            .POST, Self.machinePath(app, id) + "/stop", operation: "stop_machine", body: body, idempotent: true)
        _ = try await send(call, app: app)
    }

    /// Destroys the Machine, killing it if it runs; a Machine that is already gone counts as destroyed.
    public func destroyMachine(app: String, id: String) async throws {
        let call = APIRequest(.DELETE, Self.machinePath(app, id) + "?force=true", operation: "destroy_machine")
        do {
            _ = try await send(call, app: app)
        } catch let error as APIError where error.statusCode == 404 {
            return
        }
    }
}
