import Foundation
import PorterKit

/// The settings page's view model.
struct SettingsPageView {
    var page: Chrome
    var notice: String?
    /// A refused form's reason, shown in that form's card.
    var keysProblem: String?
    var defaultsProblem: String?
    var flyProblem: String?
    /// The providers most agents use, and any other with a key stored.
    var mainProviders: [ProviderRow]
    /// The rest, folded away.
    var moreProviders: [ProviderRow]
    var hasMoreProviders: Bool
    var moreProviderNames: String
    var agents: [Option]
    var defaultModel: String
    var fly: Fly
    var installation: Installation

    struct ProviderRow {
        var name: String
        var keys: [KeyRow]
    }

    struct KeyRow {
        var key: String
        var providerName: String
        var fieldID: String
        var configured: Bool
        var hint: String?
        var updated: String?
    }

    struct Option {
        var value: String
        var label: String
        var selected: Bool
    }

    struct Fly {
        var configured: Bool
        var appName: String
        var org: String
        var orgMode: Bool
        var tokenHint: String?
        var updated: String?
    }

    struct Installation {
        struct Account {
            var login: String
            var selection: String
            var repositories: [String]
            /// How many repositories are not listed; nil when all are.
            var more: Int?
        }

        var installed: Bool
        var accounts: [Account]
        var problem: String?
        var installURL: String?

        init(_ found: [(GitHubInstallation, [GitHubRepository])], installURL: String?) {
            installed = !found.isEmpty
            accounts = found.map { installation, repositories in
                Account(
                    login: installation.account.login,
                    selection: installation.repositorySelection == "all" ? "all repositories" : "selected repositories",
                    repositories: repositories.prefix(8).map(\.fullName),
                    more: repositories.count > 8 ? repositories.count - 8 : nil)
            }
            self.installURL = installURL
        }

        init(problem: String, installURL: String?) {
            installed = false
            accounts = []
            self.problem = problem
            self.installURL = installURL
        }
    }

    /// A form the server refused: which card it was in, why, and what was typed.
    struct Refusal {
        var section: String
        var message: String
        var form: [String: String]
    }

    init(
        page: Chrome, notice: String?, refusal: Refusal?, snapshot: SettingsSnapshot, installation: Installation
    ) {
        self.page = page
        self.notice = notice
        switch refusal?.section {
        case "fly": flyProblem = refusal?.message
        case "defaults": defaultsProblem = refusal?.message
        default: keysProblem = refusal?.message
        }
        self.installation = installation
        let providers = Provider.catalog.map { provider in
            ProviderRow(
                name: provider.name,
                keys: provider.keys.map { key in
                    let state = snapshot.providers[provider.id]?[key]
                    return KeyRow(
                        key: key, providerName: provider.name, fieldID: "key-\(key.lowercased())",
                        configured: state?.configured ?? false,
                        hint: state?.hint, updated: state?.updatedAt.map(DisplayTime.day))
                })
        }
        let common: Set = ["Anthropic", "OpenAI", "Google"]
        mainProviders = providers.filter { common.contains($0.name) || $0.keys.contains(where: \.configured) }
        moreProviders = providers.filter { !common.contains($0.name) && !$0.keys.contains(where: \.configured) }
        hasMoreProviders = !moreProviders.isEmpty
        moreProviderNames = moreProviders.map(\.name).joined(separator: ", ")
        agents =
            [
                Option(
                    value: "", label: "Porter's default (\(Agent.fallback.rawValue))",
                    selected: snapshot.defaultAgent == nil)
            ]
            + AccountSettings.agentNames.map { Option(value: $0, label: $0, selected: snapshot.defaultAgent == $0) }
        defaultModel = snapshot.defaultModel ?? ""
        fly = Fly(
            configured: snapshot.fly.configured, appName: snapshot.fly.appName ?? "", org: snapshot.fly.org ?? "",
            orgMode: snapshot.fly.mode != "deploy", tokenHint: snapshot.fly.tokenHint,
            updated: snapshot.fly.updatedAt.map(DisplayTime.day))
        if let refusal, refusal.section == "fly" {
            // Only the names and the mode come back; the token field stays empty.
            fly.appName = refusal.form["app"] ?? fly.appName
            fly.org = refusal.form["org"] ?? fly.org
            fly.orgMode = refusal.form["mode"] != "deploy"
        }
    }
}
