import Foundation
import HTTPTypes
import Hummingbird

/// The parameters of `/login/oauth/authorize`, from the query or from the consent form.
struct OAuthAuthorizeRequest: Sendable {
    var redirectURI: String
    var state: String?
    var codeChallenge: String?
    var login: String?
    var fields: [String: String]

    var hiddenFields: [(String, String)] {
        ["client_id", "redirect_uri", "state", "code_challenge", "code_challenge_method"].compactMap { name in
            fields[name].map { (name, $0) }
        }
    }
}

/// An error shown to the person in the browser, as an HTML page.
struct OAuthPageError: HTTPResponseError {
    var status: HTTPResponse.Status
    var title: String
    var message: String

    static let notFound = OAuthPageError(
        status: .notFound, title: "Page not found", message: "No application has this client_id.")

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let (heading, text) = (GitHubOAuthPages.escaped(title), GitHubOAuthPages.escaped(message))
        return GitHubOAuthPages.html(
            title: title, body: #"<h1>\#(heading)</h1><div class="card"><p>\#(text)</p></div>"#, status: status)
    }
}

/// The emulator's sign-in pages: plain HTML, every value escaped.
enum GitHubOAuthPages {
    /// "Authorize <app>": who signs in (or a login field when nobody is signed in), and Authorize and Cancel.
    static func consent(appSlug: String, request: OAuthAuthorizeRequest, signedIn login: String?) -> Response {
        let app = escaped(appSlug)
        var hidden = request.hiddenFields.map { name, value in
            #"<input type="hidden" name="\#(name)" value="\#(escaped(value))">"#
        }
        let who: String
        if let login {
            hidden.append(#"<input type="hidden" name="login" value="\#(escaped(login))">"#)
            who = #"<p class="who">Signed in as <strong>@\#(escaped(login))</strong></p>"#
        } else {
            who = """
                <label for="login">Sign in as</label>
                <input type="text" id="login" name="login" required autocomplete="username" placeholder="login">
                """
        }
        let target = URLComponents(string: request.redirectURI).map { url in
            (url.scheme.map { "\($0)://" } ?? "") + (url.host ?? "") + (url.port.map { ":\($0)" } ?? "")
        }
        // Authorize comes first so that Enter in the login field authorizes; the row is drawn reversed.
        let body = """
            <h1>Authorize <strong>\(app)</strong></h1>
            <form class="card" method="post" action="/login/oauth/authorize">
            \(who)
            <p><strong>\(app)</strong> would like to verify your GitHub identity and know which resources you can access.</p>
            \(hidden.joined(separator: "\n"))
            <div class="actions">
            <button type="submit" id="authorize" name="decision" value="authorize">Authorize \(app)</button>
            <button type="submit" id="cancel" name="decision" value="cancel" formnovalidate>Cancel</button>
            </div>
            <p class="note">Authorizing will redirect to <strong>\(escaped(target ?? request.redirectURI))</strong></p>
            </form>
            """
        return html(title: "Authorize \(appSlug)", body: body)
    }

    /// A page in the emulator's style; `wide` for the repository, issue and pull request pages.
    static func html(title: String, body: String, status: HTTPResponse.Status = .ok, wide: Bool = false) -> Response {
        let page = """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escaped(title))</title>
            <style>\(style)</style>
            </head>
            <body><main\(wide ? #" class="wide""# : "")>
            \(body)
            <p class="footer">GitHub emulator</p>
            </main></body>
            </html>

            """
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: page)))
    }

    static let style = """
        body { margin: 0; background: #f6f8fa; color: #1f2328;
          font: 14px/1.5 -apple-system, BlinkMacSystemFont, "Segoe UI", Helvetica, Arial, sans-serif; }
        main { max-width: 400px; margin: 64px auto; padding: 0 16px; }
        h1 { font-size: 24px; font-weight: 300; text-align: center; margin: 0 0 16px; }
        .card { background: #fff; border: 1px solid #d1d9e0; border-radius: 6px; padding: 16px 20px; }
        .card > :first-child { margin-top: 0; }
        label { display: block; font-weight: 600; margin-bottom: 6px; }
        input[type=text] { box-sizing: border-box; width: 100%; padding: 5px 12px; font: inherit;
          border: 1px solid #d1d9e0; border-radius: 6px; }
        .actions { display: flex; flex-direction: row-reverse; gap: 8px; margin-top: 16px; }
        button { flex: 1; padding: 5px 16px; font: inherit; font-weight: 500; cursor: pointer;
          border: 1px solid #d1d9e0; border-radius: 6px; background: #f6f8fa; color: #25292e; }
        button#authorize { background: #1f883d; border-color: #1a7f37; color: #fff; }
        .note, .footer { color: #59636e; font-size: 12px; }
        .footer { text-align: center; margin-top: 24px; }
        main.wide { max-width: 760px; margin: 24px auto; }
        main.wide h1 { text-align: left; font-weight: 400; }
        h2 { font-size: 16px; margin: 0 0 8px; }
        a { color: #0969da; }
        code { font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; background: #eff2f5; padding: 1px 4px;
          border-radius: 4px; }
        .muted, .crumbs { color: #59636e; }
        .threads { list-style: none; margin: 0; padding: 0; }
        .threads li { padding: 8px 0; border-top: 1px solid #d1d9e0; }
        .threads li:first-child { border-top: 0; }
        .state { display: inline-block; padding: 0 8px; border-radius: 12px; color: #fff; background: #59636e;
          font-size: 12px; font-weight: 500; }
        .state.open { background: #1f883d; } .state.merged { background: #8250df; }
        .state.closed { background: #cf222e; } .state.draft { background: #59636e; }
        .thread { margin: 16px 0; }
        .post { background: #fff; border: 1px solid #d1d9e0; border-radius: 6px; margin-bottom: 12px; }
        .post header { background: #f6f8fa; border-bottom: 1px solid #d1d9e0; padding: 6px 12px;
          border-radius: 6px 6px 0 0; }
        .post .text { padding: 8px 12px; white-space: pre-wrap; overflow-wrap: anywhere; }
        .badge { border: 1px solid #d1d9e0; border-radius: 12px; padding: 0 6px; font-size: 12px; color: #59636e; }
        textarea { box-sizing: border-box; width: 100%; padding: 5px 12px; font: inherit;
          border: 1px solid #d1d9e0; border-radius: 6px; }
        main.wide .actions button { flex: 0 0 auto; }
        button#comment { background: #1f883d; border-color: #1a7f37; color: #fff; }
        """

    static func escaped(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.append(character)
            }
        }
        return result
    }
}
