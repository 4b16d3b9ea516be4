/// A Fly app (the swagger's `App`).
public struct FlyApp: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var organization: Organization?
    public var status: String?

    /// The org an app belongs to.
    public struct Organization: Codable, Sendable, Equatable {
        public var name: String?
        public var slug: String
    }
}

/// One entry of `GET /v1/apps?org_slug=` (the swagger's `ListApp`).
public struct FlyAppSummary: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var machineCount: Int?

    enum CodingKeys: String, CodingKey {
        case id, name
        case machineCount = "machine_count"
    }
}

struct FlyListAppsResponse: Codable, Sendable {
    var apps: [FlyAppSummary]
    var totalApps: Int?

    enum CodingKeys: String, CodingKey {
        case apps
        case totalApps = "total_apps"
    }
}

struct FlyCreateAppRequest: Codable, Sendable {
    var appName: String
    var orgSlug: String

    enum CodingKeys: String, CodingKey {
        case appName = "app_name"
        case orgSlug = "org_slug"
    }
}

struct FlyStopRequest: Codable, Sendable {
    var signal: String?
    /// Go duration text, e.g. `"30s"`, as flyctl sends it.
    var timeout: String?
}
