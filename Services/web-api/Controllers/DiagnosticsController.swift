import Foundation
import Hummingbird
import Logging
import PorterKit
import PostgresNIO

/// What an operator or a new user checks when something does not work: configuration, the database,
/// GitHub, and the user's installation. Signed in only: it names the deployment's setup.
struct DiagnosticsController {
    let pages: Pages
    let config: WebAPIConfig
    let postgres: PostgresClient
    let github: GitHubClient
    let gitHub: UserGitHub
    let installURL: String?
    let logger: Logger

    func add(to router: Router<WebContext>) {
        router.get("/diagnostics") { _, context in
            let user = try context.requireUser()
            let report = await report(user)
            return pages.render(
                "diagnostics",
                DiagnosticsView(page: Chrome(title: "Diagnostics", user: user, section: .diagnostics), report: report))
        }
        router.get("/api/startup/check") { _, context in
            _ = try context.requireUser()
            let checks = await [configuration(), database()]
            return JSONAnswer.make(StartupCheck(ok: checks.allSatisfy { $0.status != .failing }, checks: checks))
        }
        router.get("/api/auth/diagnostics") { _, context in
            try await JSONAnswer.make(report(context.requireUser()))
        }
        router.get("/api/rate-limit") { _, context in
            let user = try context.requireUser()
            let limit = try await gitHub.call(user) { try await github.rateLimit(token: $0) }
            return JSONAnswer.make(
                RateLimitAnswer(limit: limit.limit, remaining: limit.remaining, used: limit.used, resetsAt: limit.reset)
            )
        }
    }

    struct RateLimitAnswer: Encodable {
        var limit: Int
        var remaining: Int
        var used: Int
        var resetsAt: Date
    }

    struct StartupCheck: Encodable {
        var ok: Bool
        var checks: [Check]
    }

    struct Check: Encodable {
        enum Status: String, Encodable { case ok, warning, failing }

        var name: String
        var status: Status
        var detail: String
    }

    struct Report: Encodable {
        /// What the person should do next: `install_app`, `sign_in_again`, `check_runtime` or `ok`.
        var nextAction: String
        var nextStep: String
        var installURL: String?
        var installations: [String]
        var checks: [Check]
    }

    func report(_ user: SignedInUser) async -> Report {
        var checks = await [configuration(), database(), app()]
        var installations: [String] = []
        var next = ("ok", "Everything Porter needs is in place. Comment @porter on an issue to start a task.")
        do {
            let found = try await gitHub.installations(user)
            installations = found.map { $0.0.account.login }
            if found.isEmpty {
                checks.append(
                    Check(name: "installation", status: .failing, detail: "The App is not installed for you."))
                next = ("install_app", "Install Porter's GitHub App on the repositories it should work on.")
            } else {
                checks.append(
                    Check(
                        name: "installation", status: .ok,
                        detail: "Installed on \(installations.joined(separator: ", "))."))
            }
            let limit = try await gitHub.call(user) { try await github.rateLimit(token: $0) }
            checks.append(
                Check(
                    name: "rate_limit", status: limit.remaining < limit.limit / 10 ? .warning : .ok,
                    detail: "\(limit.remaining) of \(limit.limit) GitHub requests left for your token this hour."))
        } catch let problem as WebError {
            checks.append(Check(name: "installation", status: .failing, detail: problem.message))
            next =
                problem == .reauthenticate
                ? ("sign_in_again", "Sign out and sign in again so Porter can see your installations.")
                : ("check_runtime", "GitHub could not be asked about your installations; try again shortly.")
        } catch {
            logger.warning("diagnostics failed", metadata: ["error": "\(String(reflecting: error))"])
            checks.append(Check(name: "installation", status: .failing, detail: "GitHub could not be asked."))
            next = ("check_runtime", "GitHub could not be asked about your installations; try again shortly.")
        }
        if next.0 == "ok", let failing = checks.first(where: { $0.status == .failing }) {
            next = ("check_runtime", "Fix the failing check: \(failing.name).")
        }
        return Report(
            nextAction: next.0, nextStep: next.1, installURL: next.0 == "install_app" ? installURL : nil,
            installations: installations, checks: checks)
    }

    /// The service would not have started without its required variables; this names the optional
    /// ones that change what people can do.
    func configuration() -> Check {
        var missing: [String] = []
        if config.app.slug == nil { missing.append("GITHUB_APP_SLUG (the install link)") }
        if config.fly.token == nil { missing.append("FLY_API_TOKEN (workers for people without their own Fly app)") }
        let keys = config.encryptionKeys.keys.map(\.id)
        let base = "Required settings present; secrets are sealed with key \(keys[0]) (\(keys.count) configured)."
        return missing.isEmpty
            ? Check(name: "configuration", status: .ok, detail: base)
            : Check(
                name: "configuration", status: .warning, detail: base + " Not set: \(missing.joined(separator: "; ")).")
    }

    func database() async -> Check {
        do {
            let status = try await SchemaStatus.check(postgres, logger: logger)
            return Check(name: "database", status: status.isCurrent ? .ok : .failing, detail: "Reachable; \(status).")
        } catch {
            logger.warning("database check failed", metadata: ["error": "\(String(reflecting: error))"])
            return Check(name: "database", status: .failing, detail: "The database cannot be reached.")
        }
    }

    func app() async -> Check {
        do {
            let app = try await github.authenticatedApp()
            return Check(
                name: "github_app", status: .ok, detail: "GitHub accepts the App's key (App \(app.id), \(app.name)).")
        } catch let error as APIError {
            let detail =
                error.statusCode == 401
                ? "GitHub refuses the App's JWT: check GITHUB_APP_ID and the private key."
                : "GitHub could not be reached with the App's JWT (\(error.statusCode.map(String.init) ?? "no answer"))."
            return Check(name: "github_app", status: .failing, detail: detail)
        } catch {
            return Check(name: "github_app", status: .failing, detail: "The App's JWT could not be made.")
        }
    }
}

/// The diagnostics page's view model.
struct DiagnosticsView {
    var page: Chrome
    var nextStep: String
    var installURL: String?
    var allGood: Bool
    var checks: [Row]

    struct Row {
        var name: String
        var detail: String
        var ok: Bool
        var warning: Bool
        var failing: Bool
    }

    static let titles = [
        "configuration": "Configuration", "database": "Database", "github_app": "GitHub App",
        "installation": "Installation", "rate_limit": "Rate limit",
    ]

    init(page: Chrome, report: DiagnosticsController.Report) {
        self.page = page
        nextStep = report.nextStep
        installURL = report.installURL
        allGood = report.nextAction == "ok"
        checks = report.checks.map { check in
            Row(
                name: Self.titles[check.name] ?? check.name, detail: check.detail,
                ok: check.status == .ok, warning: check.status == .warning, failing: check.status == .failing)
        }
    }
}
