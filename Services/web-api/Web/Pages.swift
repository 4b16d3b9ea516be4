import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import PorterKit

/// The web app's HTML: mustache templates loaded and checked once at startup, rendered with one view
/// model per page. `{{…}}` escapes everything it prints.
struct Pages: Sendable {
    /// Every template a route renders; a missing one stops the service at startup, not at first use.
    static let templates = [
        "layout", "auth", "settings", "diagnostics", "error", "task", "dashboard", "agents-panel", "history",
        "dispatch",
    ]

    let library: MustacheLibrary
    /// The Content-Security-Policy every page is served with: nothing inline, nothing from elsewhere
    /// but avatars.
    let policy: String

    init(directory: String, imageOrigins: [String]) async throws {
        let library = try await MustacheLibrary(directory: directory)
        let missing = Self.templates.filter { library.getTemplate(named: $0) == nil }
        guard missing.isEmpty else { throw PagesError.missingTemplates(missing, directory: directory) }
        self.library = library
        self.policy = """
            default-src 'self'; img-src 'self' data: \(imageOrigins.joined(separator: " ")); \
            style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'
            """
    }

    /// Where the templates and static files are: `PORTER_WEB_RESOURCES`, or the resources built
    /// next to the binary.
    static func resourceDirectory(environment: [String: String]) -> String {
        if let directory = environment["PORTER_WEB_RESOURCES"], !directory.isEmpty { return directory }
        return Bundle.module.bundleURL.appendingPathComponent("Resources").path
    }

    func render(_ template: String, _ model: some Any, status: HTTPResponse.Status = .ok) -> Response {
        let html = library.render(TemplateContext.make(model), withTemplate: template) ?? ""
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        headers[.contentSecurityPolicy] = policy
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        headers[HTTPField.Name("Referrer-Policy")!] = "same-origin"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    func error(_ problem: WebError, user: SignedInUser?) -> Response {
        struct View {
            var page: Chrome
            var status: Int
            var message: String
            var signIn: Bool
        }
        return render(
            "error",
            View(
                page: Chrome(title: problem.status.reasonPhrase, user: user, section: nil), status: problem.status.code,
                message: problem.message, signIn: problem == .unauthorized),
            status: problem.status)
    }
}

enum PagesError: Error, CustomStringConvertible {
    case missingTemplates([String], directory: String)

    var description: String {
        switch self {
        case .missingTemplates(let names, let directory):
            "templates \(names.joined(separator: ", ")) not found in \(directory)"
        }
    }
}

/// What every page's layout shows: the title, who is signed in, and which section is current.
struct Chrome {
    var title: String
    var user: UserView?
    var dashboardActive: Bool
    var historyActive: Bool
    var reviewActive: Bool
    var dispatchActive: Bool
    var settingsActive: Bool
    var diagnosticsActive: Bool

    struct UserView {
        var login: String
        var name: String?
        var avatarURL: String?
        var csrfToken: String
        var initial: String
    }

    enum Section { case dashboard, history, review, dispatch, settings, diagnostics }

    init(title: String, user: SignedInUser?, section: Section?) {
        self.title = title
        self.user = user.map {
            UserView(
                login: $0.login, name: $0.name, avatarURL: $0.avatarURL, csrfToken: $0.csrfToken,
                initial: String($0.login.prefix(1)).uppercased())
        }
        dashboardActive = section == .dashboard
        historyActive = section == .history
        reviewActive = section == .review
        dispatchActive = section == .dispatch
        settingsActive = section == .settings
        diagnosticsActive = section == .diagnostics
    }
}

extension Pages {
    /// `scheme://host[:port]` of `url`.
    static func origin(of url: URL) -> String {
        var text = "\(url.scheme ?? "https")://\(url.host ?? "")"
        if let port = url.port { text += ":\(port)" }
        return text
    }
}
