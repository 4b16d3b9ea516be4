import Foundation
import Logging
import PostgresNIO

/// A user's choices: the agent and model their commands default to, and their own Fly app.
public struct UserSettings: Sendable, Equatable {
    public var defaultAgent: Agent?
    public var defaultModel: String?
    public var flyApp: String?
    public var flyOrg: String?
    public var updatedAt: Date?

    public init(
        defaultAgent: Agent? = nil, defaultModel: String? = nil, flyApp: String? = nil, flyOrg: String? = nil,
        updatedAt: Date? = nil
    ) {
        self.defaultAgent = defaultAgent
        self.defaultModel = defaultModel
        self.flyApp = flyApp
        self.flyOrg = flyOrg
        self.updatedAt = updatedAt
    }
}

/// A change to some settings: a nil field is left as it is, `.some(nil)` clears it. Saving one field
/// never touches another.
public struct SettingsChange: Sendable, Equatable {
    public var defaultAgent: Agent??
    public var defaultModel: String??
    public var flyApp: String??
    public var flyOrg: String??

    public init(
        defaultAgent: Agent?? = nil, defaultModel: String?? = nil, flyApp: String?? = nil, flyOrg: String?? = nil
    ) {
        self.defaultAgent = defaultAgent
        self.defaultModel = defaultModel
        self.flyApp = flyApp
        self.flyOrg = flyOrg
    }
}

public struct PostgresUserSettingsStore: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public func settings(userID: Int64) async throws -> UserSettings {
        let rows = try await client.query(
            """
            SELECT default_agent, default_model, fly_app, fly_org, updated_at FROM user_settings
            WHERE user_id = \(userID)
            """, logger: logger)
        for try await (agent, model, app, org, updatedAt) in rows.decode(
            (String?, String?, String?, String?, Date).self)
        {
            return UserSettings(
                defaultAgent: agent.flatMap(Agent.init(setting:)), defaultModel: model, flyApp: app, flyOrg: org,
                updatedAt: updatedAt)
        }
        return UserSettings()
    }

    /// Applies `change` in one statement; fields it does not name keep their values.
    public func apply(_ change: SettingsChange, userID: Int64) async throws {
        let agent = change.defaultAgent.map { $0?.rawValue }
        try await client.query(
            """
            INSERT INTO user_settings (user_id, default_agent, default_model, fly_app, fly_org)
            VALUES (\(userID), \(agent ?? nil), \(change.defaultModel ?? nil), \(change.flyApp ?? nil),
                \(change.flyOrg ?? nil))
            ON CONFLICT (user_id) DO UPDATE SET
                default_agent = CASE WHEN \(agent != nil) THEN EXCLUDED.default_agent ELSE user_settings.default_agent END,
                default_model = CASE WHEN \(change.defaultModel != nil) THEN EXCLUDED.default_model
                    ELSE user_settings.default_model END,
                fly_app = CASE WHEN \(change.flyApp != nil) THEN EXCLUDED.fly_app ELSE user_settings.fly_app END,
                fly_org = CASE WHEN \(change.flyOrg != nil) THEN EXCLUDED.fly_org ELSE user_settings.fly_org END,
                updated_at = now()
            """, logger: logger)
    }
}
