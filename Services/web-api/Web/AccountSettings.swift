import Foundation
import Logging
import PorterKit

/// What a person may change about their account, shared by the settings page and the JSON API so
/// both check and save the same way. Saving one thing never touches another.
struct AccountSettings: Sendable {
    let secrets: PostgresUserSecretStore
    let settings: PostgresUserSettingsStore
    let queue: PostgresJobQueue
    let fly: FlySettings
    let logger: Logger

    static let flyTokenName = "FLY_API_TOKEN"

    /// Stores one provider key. An unknown name, or a value that cannot be a key, is refused.
    func setKey(_ user: SignedInUser, name: String, value: String) async throws {
        guard Provider.keyNames.contains(name) else {
            throw WebError.invalid("\(name) is not a provider key Porter stores.", code: "unknown_key")
        }
        let key = try Self.checkedSecret(value, what: name)
        try await secrets.put(userID: user.id, name: name, value: key)
        logger.info("provider key stored", metadata: ["user_id": "\(user.id)", "key": "\(name)"])
        // A task that waited for this person's key can start now.
        try await queue.wakeRequester(user.id)
    }

    func removeKey(_ user: SignedInUser, name: String) async throws {
        guard Provider.keyNames.contains(name) else {
            throw WebError.invalid("\(name) is not a provider key Porter stores.", code: "unknown_key")
        }
        if try await secrets.remove(userID: user.id, name: name) {
            logger.info("provider key removed", metadata: ["user_id": "\(user.id)", "key": "\(name)"])
        }
    }

    /// A pasted secret, trimmed; refused when empty, too long, or containing spaces (unless
    /// `spaces`: Fly tokens start `FlyV1 `) or control characters.
    static func checkedSecret(_ value: String, what: String, spaces: Bool = false) throws(WebError) -> String {
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw .invalid("Paste a value for \(what).", code: "empty_value") }
        guard trimmed.count <= 4096 else { throw .invalid("That value is too long for \(what).", code: "too_long") }
        guard
            !trimmed.unicodeScalars.contains(where: {
                ($0.properties.isWhitespace && !(spaces && $0 == " ")) || $0.value < 0x20 || $0.value == 0x7F
            })
        else {
            throw .invalid("\(what) cannot contain spaces or line breaks.", code: "malformed_value")
        }
        return trimmed
    }

    /// The default agent and model; nil leaves a field as it is, an empty model clears it.
    func setDefaults(_ user: SignedInUser, agent: String??, model: String??) async throws {
        var change = SettingsChange()
        if let agent {
            if let name = agent, !name.isEmpty {
                guard let parsed = Agent(commandWord: name), Agent.coding.contains(parsed) else {
                    throw WebError.invalid(
                        "\(name) is not an agent. Choose one of \(Self.agentNames.joined(separator: ", ")).",
                        code: "unknown_agent")
                }
                change.defaultAgent = .some(parsed)
            } else {
                change.defaultAgent = .some(nil)
            }
        }
        if let model {
            let trimmed = model?.trimmingCharacters(in: .whitespaces) ?? ""
            guard trimmed.count <= 200, !trimmed.contains(where: { $0.isWhitespace || $0.isNewline }) else {
                throw WebError.invalid("A model id is one word, such as claude-sonnet-4-5.", code: "malformed_model")
            }
            change.defaultModel = .some(trimmed.isEmpty ? nil : trimmed)
        }
        try await settings.apply(change, userID: user.id)
    }

    /// What a default agent may be: a coding agent, never `demo`, which its operator may turn off.
    static let agentNames = Agent.coding.map(\.rawValue)

    enum FlyMode: String { case org, deploy }

    /// Checks a Fly token against Fly and saves it with the app only when Fly accepts both; with an org
    /// token a missing app is created. Without a new token, the stored one is checked.
    func saveFly(
        _ user: SignedInUser, token: String?, app: String?, org: String?, mode: FlyMode
    ) async throws
        -> FlyTokenSetup
    {
        try await checkFly(user, token: token, app: app, org: org, mode: mode, save: true)
    }

    /// Checks the stored token and app with Fly, changing nothing anywhere.
    func verifyStoredFly(_ user: SignedInUser, app: String?, org: String?, mode: FlyMode) async throws -> FlyTokenSetup
    {
        try await checkFly(user, token: nil, app: app, org: org, mode: mode, save: false)
    }

    private func checkFly(
        _ user: SignedInUser, token: String?, app: String?, org: String?, mode: FlyMode, save: Bool
    ) async throws
        -> FlyTokenSetup
    {
        let newToken = try token.flatMap {
            $0.isEmpty ? nil : try Self.checkedSecret($0, what: "The Fly token", spaces: true)
        }
        let stored = newToken == nil ? try await secrets.value(userID: user.id, name: Self.flyTokenName) : nil
        guard let usable = newToken ?? stored else {
            throw WebError.invalid("Paste a Fly token.", code: "fly_token_missing")
        }
        guard let app = app?.trimmingCharacters(in: .whitespaces), Self.validFlyName(app) else {
            throw WebError.invalid(
                "Name the Fly app: lowercase letters, digits and dashes, up to 63 characters.", code: "fly_app_invalid")
        }
        let org = org?.trimmingCharacters(in: .whitespaces).nilIfEmpty
        if mode == .org, org.map(Self.validFlyName) != true {
            throw WebError.invalid("Name the Fly organization the app belongs to.", code: "fly_org_invalid")
        }
        let client = FlyClient(baseURL: fly.apiURL, token: Secret(usable), logger: logger)
        let setup: FlyTokenSetup
        switch await client.validate(app: mode == .deploy ? app : nil, org: mode == .org ? org : nil) {
        case .success(let found): setup = found
        case .failure(let problem): throw WebError.invalid(Self.plain(problem.message), code: "fly_token_refused")
        }
        if case .organization(let slug) = setup {
            do {
                _ = try await client.app(app)
            } catch let error as APIError where error.statusCode == 404 {
                guard save else {
                    throw WebError.invalid("Fly has no app \(app) in \(slug) any more.", code: "fly_app_missing")
                }
                do {
                    try await client.createWorkerApp(app, org: slug)
                    logger.info("fly app created", metadata: ["user_id": "\(user.id)", "fly_app": "\(app)"])
                } catch {
                    throw WebError.invalid(
                        "Fly did not create the app \(app): \(Self.plain(client.problem(error, app: app, org: slug).message))",
                        code: "fly_app_create_failed")
                }
            } catch {
                throw WebError.invalid(
                    Self.plain(client.problem(error, app: app, org: slug).message), code: "fly_token_refused")
            }
        }
        guard save else { return setup }
        if let newToken { try await secrets.put(userID: user.id, name: Self.flyTokenName, value: newToken) }
        try await settings.apply(
            SettingsChange(flyApp: .some(app), flyOrg: .some(mode == .org ? org : nil)), userID: user.id)
        logger.info("fly settings saved", metadata: ["user_id": "\(user.id)", "fly_app": "\(app)", "mode": "\(mode)"])
        return setup
    }

    /// Fly's problem messages are written for GitHub comments; a page shows them without Markdown.
    static func plain(_ message: String) -> String { message.replacingOccurrences(of: "`", with: "") }

    func removeFly(_ user: SignedInUser) async throws {
        try await secrets.remove(userID: user.id, name: Self.flyTokenName)
        try await settings.apply(SettingsChange(flyApp: .some(nil), flyOrg: .some(nil)), userID: user.id)
    }

    /// Fly app and org names: lowercase letters, digits and dashes.
    static func validFlyName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 63
            && name.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" }
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
