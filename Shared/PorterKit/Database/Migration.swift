import PostgresNIO

/// One numbered schema change. Applied once, in its own transaction; never edited after release.
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    /// Statements run in order. Each is one SQL statement: the extended protocol takes no batches.
    public let statements: [String]

    public init(version: Int, name: String, statements: [String]) {
        self.version = version
        self.name = name
        self.statements = statements
    }
}

extension Migration {
    /// Every migration this build knows, in order. Append only.
    public static let all: [Migration] = [
        .v1InitialSchema,
        .v2DispatchState,
        .v3Callbacks,
        .v4ControlPlane,
        .v5FlyPacing,
        .v6Watchdog,
        .v7DeliveryReconciliation,
        .v8Retention,
        .v9StatusRefresh,
        .v10RequesterFlyApp,
        .v11Accounts,
        .v12TaskChanges,
        .v13PullRequestOutcomes,
        .v14RecentCommands,
        .v15TaskCounts,
        .v16TaskFigures,
        .v17FollowUps,
        .v18Reviews,
        .v19OutsiderReplies,
        .v20JobClaimOrder,
        .v21TaskOutcomes,
        .v22TaskCountStripes,
    ]
}
