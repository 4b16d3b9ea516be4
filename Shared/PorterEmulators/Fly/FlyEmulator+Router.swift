import Foundation
import HTTPTypes
import Hummingbird

extension FlyEmulator {
    /// The emulator's HTTP surface: Fly's `/v1` routes behind recording, injected faults and rate
    /// limits, plus `/_emulator/faults` for standalone runs.
    public func buildRouter() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: FlyRecordingMiddleware(emulator: self))
        router.add(middleware: FaultMiddleware(faults))
        router.add(middleware: FlyRateLimitMiddleware(emulator: self))
        faults.addControlRoutes(to: router)
        addAppRoutes(to: router)
        addMachineRoutes(to: router)
        return router
    }

    func addAppRoutes(to router: Router<BasicRequestContext>) {
        router.get("/v1/apps") { request, _ in
            let scope = try self.scope(of: request)
            guard let org = request.uri.queryParameters["org_slug"].map(String.init) else {
                throw FlyEmulatorError(.badRequest, "org_slug is required")
            }
            guard scope == .organization(org) else {
                throw FlyEmulatorError(.forbidden, "token is not authorized for organization \(org)")
            }
            let apps = self.state.withLock { state in
                state.apps.values.filter { $0.org == org }.sorted { $0.name < $1.name }.map { app in
                    let count = state.machines.values.filter { $0.app == app.name && $0.state != "destroyed" }.count
                    return FlyWire.ListApp(id: app.id, name: app.name, machineCount: count)
                }
            }
            return try FlyJSON.response(FlyWire.ListAppsResponse(apps: apps, totalApps: apps.count))
        }
        router.post("/v1/apps") { request, _ in
            let scope = try self.scope(of: request)
            let body = try await FlyJSON.decode(FlyWire.CreateAppRequest.self, from: request)
            guard let name = body.appName, !name.isEmpty, let org = body.orgSlug, !org.isEmpty else {
                throw FlyEmulatorError(.badRequest, "app_name and org_slug are required")
            }
            guard scope == .organization(org) else {
                throw FlyEmulatorError(.forbidden, "token is not authorized for organization \(org)")
            }
            let network = body.network.flatMap { $0.isEmpty ? nil : $0 }
            let app = try self.state.withLock { state in
                guard state.apps[name] == nil else { throw FlyEmulatorError(.conflict, "app name already taken") }
                let app = FlyAppRecord(id: state.nextID(), name: name, org: org, network: network)
                state.apps[name] = app
                return app
            }
            return try FlyJSON.response(
                FlyWire.CreatedApp(id: app.id, createdAt: Int64(app.createdAt.timeIntervalSince1970 * 1000)),
                status: .created)
        }
        router.get("/v1/apps/:app") { request, context in
            let name = try context.parameters.require("app")
            try self.authorize(request, app: name)
            let app = try self.state.withLock { state in
                guard let app = state.apps[name] else { throw FlyEmulatorError(.notFound, "app not found") }
                return FlyWire.App(
                    id: app.id, name: app.name,
                    organization: FlyWire.Organization(name: state.orgs[app.org] ?? app.org, slug: app.org),
                    status: "deployed")
            }
            return try FlyJSON.response(app)
        }
    }
}
