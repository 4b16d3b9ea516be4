import Foundation
import PorterKit

/// Everything the settings page and `GET /api/config` show about an account. Secrets appear only
/// as "configured", their last characters and when they were set.
struct SettingsSnapshot: Encodable {
    struct KeyState: Encodable {
        var configured: Bool
        var hint: String?
        var updatedAt: Date?
    }

    struct FlyState: Encodable {
        var configured: Bool
        var appName: String?
        var org: String?
        var mode: String?
        var tokenHint: String?
        var updatedAt: Date?
    }

    struct Account: Encodable {
        var id: Int64
        var login: String
        var name: String?
    }

    var user: Account
    var defaultAgent: String?
    var defaultModel: String?
    var providers: [String: [String: KeyState]]
    var fly: FlyState

    static func load(
        _ user: SignedInUser, secrets: PostgresUserSecretStore, settings: PostgresUserSettingsStore
    ) async throws -> SettingsSnapshot {
        let stored = try await secrets.stored(userID: user.id)
        let chosen = try await settings.settings(userID: user.id)
        var providers: [String: [String: KeyState]] = [:]
        for provider in Provider.catalog {
            for key in provider.keys {
                let entry = stored[key]
                providers[provider.id, default: [:]][key] = KeyState(
                    configured: entry != nil, hint: entry?.hint, updatedAt: entry?.updatedAt)
            }
        }
        let flyToken = stored[AccountSettings.flyTokenName]
        return SettingsSnapshot(
            user: Account(id: user.id, login: user.login, name: user.name),
            defaultAgent: chosen.defaultAgent?.rawValue, defaultModel: chosen.defaultModel, providers: providers,
            fly: FlyState(
                configured: flyToken != nil && chosen.flyApp != nil, appName: chosen.flyApp, org: chosen.flyOrg,
                mode: chosen.flyApp == nil ? nil : chosen.flyOrg == nil ? "deploy" : "org", tokenHint: flyToken?.hint,
                updatedAt: flyToken?.updatedAt))
    }

    /// `{providerId: {KEY: "configured" | "not_configured"}}`, as the original API answered.
    var credentialStatus: [String: [String: String]] {
        providers.mapValues { keys in keys.mapValues { $0.configured ? "configured" : "not_configured" } }
    }
}
