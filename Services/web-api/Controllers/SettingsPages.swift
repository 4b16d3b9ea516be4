import Foundation
import Hummingbird
import Logging
import PorterKit

/// `/settings`: the one onboarding and settings page, and the forms it posts. Every form answers with
/// a redirect back to the page (or the page again with the problem), so reloading never posts twice.
struct SettingsPages {
    let pages: Pages
    let account: AccountSettings
    let gitHub: UserGitHub
    let installURL: String?
    let logger: Logger

    func add(to router: Router<WebContext>) {
        router.get("/settings", use: page)
        router.post("/settings/keys") { request, context in
            try await form(request, context, anchor: "keys") { user, form in
                let name = form["name"] ?? ""
                try await account.setKey(user, name: name, value: form["value"] ?? "")
                return "key_saved&key=\(name)"
            }
        }
        router.post("/settings/keys/remove") { request, context in
            try await form(request, context, anchor: "keys") { user, form in
                let name = form["name"] ?? ""
                try await account.removeKey(user, name: name)
                return "key_removed&key=\(name)"
            }
        }
        router.post("/settings/defaults") { request, context in
            try await form(request, context, anchor: "defaults") { user, form in
                try await account.setDefaults(user, agent: .some(form["agent"]), model: .some(form["model"]))
                return "defaults_saved"
            }
        }
        router.post("/settings/fly") { request, context in
            try await form(request, context, anchor: "fly") { user, form in
                let mode = AccountSettings.FlyMode(rawValue: form["mode"] ?? "") ?? .org
                let setup = try await account.saveFly(
                    user, token: form["token"], app: form["app"], org: form["org"], mode: mode)
                switch setup {
                case .organization: return "fly_org"
                case .app: return "fly_deploy"
                }
            }
        }
        router.post("/settings/fly/remove") { request, context in
            try await form(request, context, anchor: "fly") { user, _ in
                try await account.removeFly(user)
                return "fly_removed"
            }
        }
    }

    /// What a form's redirect may say, by code: a link cannot put words of its own on the page.
    static let notices: [String: String] = [
        "key_saved": "Key saved.",
        "key_removed": "Key removed.",
        "defaults_saved": "Defaults saved.",
        "fly_org": "Fly token checked: an org token. Workers will run in your app.",
        "fly_deploy": "Fly token checked: a deploy token for your app. Workers will run in it.",
        "fly_removed": "Fly settings removed. Workers run in Porter's own Fly app.",
        "installed": "Porter's GitHub App is installed. Comment @porter on an issue to start a task.",
    ]

    static func notice(_ query: [String: String]) -> String? {
        guard let code = query["notice"], let text = notices[code] else { return nil }
        if let key = query["key"], Provider.keyNames.contains(key) {
            return text.replacingOccurrences(of: "Key", with: key)
        }
        return text
    }

    /// Runs a form's action and redirects back with its notice code; a refused value shows the page
    /// again with the reason.
    func form(
        _ request: Request, _ context: WebContext, anchor: String,
        _ action: (SignedInUser, Form) async throws -> String
    ) async throws -> Response {
        let user = try context.requireUser()
        let form = try await Form.read(request)
        do {
            let notice = try await action(user, form)
            return .redirect(to: "/settings?notice=\(notice)#\(anchor)", type: .normal)
        } catch let problem as WebError where problem.status == .unprocessableContent {
            // The reason goes in the card of the form, with what was typed there (never a secret).
            let refused = SettingsPageView.Refusal(section: anchor, message: problem.message, form: form.fields)
            return try await render(user, notice: nil, refusal: refused, status: problem.status)
        }
    }

    func page(_ request: Request, context: WebContext) async throws -> Response {
        let user = try context.requireUser()
        var query: [String: String] = [:]
        for (name, value) in request.uri.queryParameters { query[String(name)] = String(value) }
        if query["installed"] == "1" { query["notice"] = "installed" }
        return try await render(user, notice: Self.notice(query), refusal: nil, status: .ok)
    }

    func render(
        _ user: SignedInUser, notice: String?, refusal: SettingsPageView.Refusal?, status: HTTPResponse.Status
    ) async throws
        -> Response
    {
        let snapshot = try await SettingsSnapshot.load(user, secrets: account.secrets, settings: account.settings)
        let installation: SettingsPageView.Installation
        do {
            installation = .init(try await gitHub.installations(user), installURL: installURL)
        } catch let problem as WebError {
            installation = .init(problem: problem.message, installURL: installURL)
        }
        return pages.render(
            "settings",
            SettingsPageView(
                page: Chrome(title: "Settings", user: user, section: .settings), notice: notice, refusal: refusal,
                snapshot: snapshot, installation: installation),
            status: status)
    }
}
