import Foundation

/// An installation access token. Its description is redacted so it cannot leak into logs.
public struct GitHubInstallationToken: Codable, Sendable, CustomStringConvertible {
    public var token: String
    public var expiresAt: Date

    public var description: String { "GitHubInstallationToken(expires_at: \(expiresAt))" }
}

/// An installation of the App, as `/user/installations` lists it.
public struct GitHubInstallation: Codable, Sendable, Equatable {
    public var id: Int
    public var account: GitHubUser
    public var repositorySelection: String
    public var appId: Int?
}

/// One attempt to deliver a webhook, from the App's delivery log.
public struct GitHubHookDelivery: Codable, Sendable, Equatable {
    public var id: Int
    public var guid: String
    public var deliveredAt: Date
    public var statusCode: Int
    public var event: String
    public var action: String?

    /// The target answered 2xx.
    public var succeeded: Bool { (200..<300).contains(statusCode) }
}

/// One page of the App's delivery log, and the cursor of the next page when there is one.
public struct GitHubHookDeliveryPage: Sendable, Equatable {
    public var deliveries: [GitHubHookDelivery]
    public var nextCursor: String?

    public init(deliveries: [GitHubHookDelivery], nextCursor: String?) {
        self.deliveries = deliveries
        self.nextCursor = nextCursor
    }
}

/// A user's role on a repository, from the collaborator permission API, strongest first.
public enum GitHubPermission: String, Sendable, CaseIterable, Comparable {
    case admin, maintain, write, triage, read, none

    /// May start, stop or retry a Porter task.
    public var canWrite: Bool { self <= .write }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
