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

    /// Creates an app in an org; needs an org token. Not retried: a lost answer may hide a created app,
    /// which the next `app(_:)` shows.
    public func createApp(_ name: String, org: String) async throws {
        let call = try Self.jsonRequest(
            .POST, "/v1/apps", operation: "create_app", body: FlyCreateAppRequest(appName: name, orgSlug: org),
            idempotent: false)
        _ = try await send(call, app: nil)
    }
}
