extension FlyClient {
    /// `GET /v1/apps/{app}`.
    public func app(_ name: String) async throws -> FlyApp {
        let response = try await send(
            APIRequest(.GET, "/v1/apps/\(Self.escape(name))", operation: "get_app"), app: name)
        return try decode(FlyApp.self, response, operation: "get_app")
    }

    /// The apps of an org; needs an org token.
    public func apps(org: String) async throws -> [FlyAppSummary] {
        let path = "/v1/apps?org_slug=\(Self.escape(org))"
        let response = try await send(APIRequest(.GET, path, operation: "list_apps"), app: nil)
        return try decode(FlyListAppsResponse.self, response, operation: "list_apps").apps
    }

    /// Creates an app in an org; needs an org token. With `network`, the app gets that private network
    /// instead of the org's default one: its Machines reach only apps on the same network. Not retried:
    /// a lost answer may hide a created app, which the next `app(_:)` shows. Its answer is not read.
    public func createApp(_ name: String, org: String, network: String?) async throws {
        let call = try Self.jsonRequest(
            .POST, "/v1/apps", operation: "create_app",
            body: FlyCreateAppRequest(appName: name, orgSlug: org, network: network), idempotent: false)
        _ = try await send(call, app: nil)
    }

    /// Creates an app for worker Machines on a private network of its own (`workerNetwork(forApp:)`),
    /// so the code they run cannot reach Porter's services, its database or other apps of the org.
    public func createWorkerApp(_ name: String, org: String) async throws {
        try await createApp(name, org: org, network: Self.workerNetwork(forApp: name))
    }

    /// The private network of a worker app Porter creates: one per app. App names are unique on Fly,
    /// so no two worker apps (one requester's and another's, or the operator's) share one.
    public static func workerNetwork(forApp app: String) -> String { "porter-workers-\(app)" }
}
