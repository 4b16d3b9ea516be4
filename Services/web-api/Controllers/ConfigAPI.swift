import Foundation
import Hummingbird
import PorterKit

/// The account's configuration as JSON, at the original product's paths. Every write changes only
/// what the body names.
struct ConfigAPI {
    let account: AccountSettings
    let fly: FlySettings

    func add(to router: Router<WebContext>) {
        router.get("/api/me") { _, context in
            let user = try context.requireUser()
            struct Me: Encodable {
                var id: Int64
                var login: String
                var name: String?
                var csrfToken: String
            }
            return JSONAnswer.make(Me(id: user.id, login: user.login, name: user.name, csrfToken: user.csrfToken))
        }
        router.get("/api/config/providers") { _, context in
            _ = try context.requireUser()
            return JSONAnswer.make(["providers": Provider.catalog])
        }
        router.get("/api/config") { _, context in try await JSONAnswer.make(snapshot(context.requireUser())) }
        router.put("/api/config") { request, context in
            let user = try context.requireUser()
            let body = try await Self.object(request)
            try Self.allow(body, ["defaultAgent", "defaultModel"])
            try await account.setDefaults(
                user, agent: try Self.optionalString(body, "defaultAgent"),
                model: try Self.optionalString(body, "defaultModel"))
            return try await JSONAnswer.make(snapshot(user))
        }
        router.get("/api/config/provider-credentials") { _, context in
            try await JSONAnswer.make(snapshot(context.requireUser()).credentialStatus)
        }
        router.put("/api/config/provider-credentials") { request, context in
            let user = try context.requireUser()
            var changes: [(String, String)] = []
            for (providerID, value) in try await Self.object(request) {
                guard let provider = Provider.named(providerID) else {
                    throw WebError.invalid("\(providerID) is not a provider.", code: "unknown_provider")
                }
                guard case .object(let keys) = value else {
                    throw WebError.badRequest("\(providerID) must map key names to values.")
                }
                for (name, value) in keys {
                    guard provider.keys.contains(name) else {
                        throw WebError.invalid("\(name) is not a key of \(provider.name).", code: "unknown_key")
                    }
                    guard let text = value.string else { throw WebError.badRequest("\(name) must be a string.") }
                    changes.append((name, text))
                }
            }
            try await apply(changes, user: user)
            return try await JSONAnswer.make(snapshot(user).credentialStatus)
        }
        router.put("/api/config/credentials") { request, context in
            let user = try context.requireUser()
            let names = ["anthropic": "ANTHROPIC_API_KEY", "openai": "OPENAI_API_KEY", "amp": "AMP_API_KEY"]
            let body = try await Self.object(request)
            try Self.allow(body, Array(names.keys))
            var changes: [(String, String)] = []
            for (field, value) in body {
                guard let text = value.string else { throw WebError.badRequest("\(field) must be a string.") }
                changes.append((names[field]!, text))
            }
            try await apply(changes, user: user)
            return try await JSONAnswer.make(snapshot(user).credentialStatus)
        }
        router.put("/api/config/fly") { request, context in
            let user = try context.requireUser()
            let body = try await Self.object(request)
            try Self.allow(body, ["flyToken", "flyAppName", "flyOrg", "validate", "setupMode"])
            let mode = try Self.optionalString(body, "setupMode").flatMap { $0 }.map { value in
                guard let mode = AccountSettings.FlyMode(rawValue: value) else {
                    throw WebError.invalid("setupMode is org or deploy.", code: "invalid_mode")
                }
                return mode
            }
            let setup = try await account.saveFly(
                user, token: try Self.optionalString(body, "flyToken") ?? nil,
                app: try Self.optionalString(body, "flyAppName") ?? nil,
                org: try Self.optionalString(body, "flyOrg") ?? nil, mode: mode ?? .org)
            return try await JSONAnswer.make(FlyAnswer(setup, snapshot: snapshot(user)))
        }
        router.delete("/api/config/fly") { _, context in
            let user = try context.requireUser()
            try await account.removeFly(user)
            return try await JSONAnswer.make(snapshot(user).fly)
        }
        router.get("/api/config/validate/fly") { _, context in
            let user = try context.requireUser()
            let current = try await snapshot(user)
            guard current.fly.configured else {
                throw WebError.invalid("No Fly token is stored.", code: "fly_token_missing")
            }
            let setup = try await account.verifyStoredFly(
                user, app: current.fly.appName, org: current.fly.org,
                mode: current.fly.mode == "deploy" ? .deploy : .org)
            return JSONAnswer.make(FlyAnswer(setup, snapshot: current))
        }
    }

    struct FlyAnswer: Encodable {
        var valid = true
        var mode: String
        var fly: SettingsSnapshot.FlyState

        init(_ setup: FlyTokenSetup, snapshot: SettingsSnapshot) {
            switch setup {
            case .organization: mode = "org"
            case .app: mode = "deploy"
            }
            fly = snapshot.fly
        }
    }

    func snapshot(_ user: SignedInUser) async throws -> SettingsSnapshot {
        try await SettingsSnapshot.load(user, secrets: account.secrets, settings: account.settings)
    }

    /// Stores every non-empty value and removes every key given an empty one; all are checked first,
    /// so a refused value saves nothing.
    func apply(_ changes: [(name: String, value: String)], user: SignedInUser) async throws {
        for change in changes where !change.value.isEmpty {
            _ = try AccountSettings.checkedSecret(change.value, what: change.name)
        }
        for change in changes {
            if change.value.isEmpty {
                try await account.removeKey(user, name: change.name)
            } else {
                try await account.setKey(user, name: change.name, value: change.value)
            }
        }
    }

    /// The request's JSON object; anything else is a 400.
    static func object(_ request: Request) async throws -> [String: JSONValue] {
        try await JSONValue.object(request, limit: 64 * 1024)
    }

    static func allow(_ object: [String: JSONValue], _ names: [String]) throws {
        if let unknown = object.keys.sorted().first(where: { !names.contains($0) }) {
            throw WebError.badRequest("\(unknown) is not a field of this request.", code: "unknown_field")
        }
    }

    /// Absent → nil (leave as is); `null` → `.some(nil)` (clear); a string → its value.
    static func optionalString(_ object: [String: JSONValue], _ name: String) throws -> String?? {
        switch object[name] {
        case nil: return nil
        case .null: return .some(nil)
        case .string(let text): return .some(text)
        default: throw WebError.badRequest("\(name) must be a string or null.")
        }
    }
}
