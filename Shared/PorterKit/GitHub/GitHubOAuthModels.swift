import Foundation

/// A user's tokens from the code exchange or a refresh. Its descriptions and mirror leave the tokens out.
public struct GitHubOAuthToken: Codable, Sendable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    public var accessToken: String
    public var tokenType: String
    public var scope: String
    /// When the access token stops working; nil for a token that does not expire.
    public var expiresAt: Date?
    /// Trades for a new pair with `refreshOAuthToken`, once; nil when the token does not expire.
    public var refreshToken: String?
    public var refreshTokenExpiresAt: Date?

    public init(
        accessToken: String, tokenType: String = "bearer", scope: String = "", expiresAt: Date? = nil,
        refreshToken: String? = nil, refreshTokenExpiresAt: Date? = nil
    ) {
        self.accessToken = accessToken
        self.tokenType = tokenType
        self.scope = scope
        self.expiresAt = expiresAt
        self.refreshToken = refreshToken
        self.refreshTokenExpiresAt = refreshTokenExpiresAt
    }

    /// True when the access token has expired at `now`, or will within `leeway` seconds.
    public func isExpired(at now: Date = Date(), leeway: TimeInterval = 0) -> Bool {
        expiresAt.map { $0 <= now.addingTimeInterval(leeway) } ?? false
    }

    public var description: String {
        "GitHubOAuthToken(scope: \(scope), expiresAt: \(expiresAt.map { "\($0)" } ?? "never"))"
    }

    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(self, children: ["scope": scope, "expiresAt": expiresAt as Any], displayStyle: .struct)
    }
}

/// The primary rate limit of one credential, from `GET /rate_limit`.
public struct GitHubRateLimit: Sendable, Equatable {
    public var limit: Int
    public var remaining: Int
    public var used: Int
    /// When the window starts over.
    public var reset: Date

    public init(limit: Int, remaining: Int, used: Int, reset: Date) {
        self.limit = limit
        self.remaining = remaining
        self.used = used
        self.reset = reset
    }
}
