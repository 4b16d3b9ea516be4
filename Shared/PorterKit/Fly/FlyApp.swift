/// A Fly app (the swagger's `App`). Porter asks for one only to learn that it exists, so nothing of
/// it is required.
public struct FlyApp: Codable, Sendable, Equatable {
    public var name: String?
    public var organization: Organization?

    /// The org an app belongs to.
    public struct Organization: Codable, Sendable, Equatable {
        public var slug: String?
    }
}

/// One entry of `GET /v1/apps?org_slug=` (the swagger's `ListApp`).
public struct FlyAppSummary: Codable, Sendable, Equatable {
    public var name: String
}

struct FlyListAppsResponse: Codable, Sendable {
    var apps: [FlyAppSummary]
}

struct FlyCreateAppRequest: Codable, Sendable {
    var appName: String
    var orgSlug: String
    /// A named private network; nil leaves the app on the org's default one.
    var network: String?

    enum CodingKeys: String, CodingKey {
        case appName = "app_name"
        case orgSlug = "org_slug"
        case network
    }
}

struct FlyStopRequest: Codable, Sendable {
    var signal: String?
    /// Go duration text, e.g. `"30s"`, as flyctl sends it.
    var timeout: String?
}
