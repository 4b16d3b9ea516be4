import Foundation
import HTTPTypes
import Hummingbird

/// What a person sees at github.com's addresses for a repository, an issue and a pull request, so the
/// links Porter posts lead somewhere in the local stack, and a form to comment as the signed-in person
/// (which delivers the webhook as a comment on GitHub does). Plain HTML, every value escaped.
extension GitHubEmulator {
    /// An issue or pull request as its page shows it.
    struct PageThread {
        var repository: EmulatedRepository
        var issue: EmulatedIssue
        var pull: EmulatedPull?
        var comments: [EmulatedComment]
    }

    func addPageRoutes(to router: Router<BasicRequestContext>) {
        router.get("/:owner/:repo") { _, context in
            let (owner, repo) = (try context.parameters.require("owner"), try context.parameters.require("repo"))
            guard let page = self.repositoryPage(owner: owner, repo: repo) else { throw Self.pageNotFound }
            return page
        }
        for kind in ["issues", "pull"] {
            router.get("/:owner/:repo/\(kind)/:number") { _, context in
                let (owner, repo) = (try context.parameters.require("owner"), try context.parameters.require("repo"))
                let number = try context.parameters.require("number", as: Int.self)
                guard let thread = self.pageThread(owner: owner, repo: repo, number: number) else {
                    throw Self.pageNotFound
                }
                let wanted = thread.issue.isPull ? "pull" : "issues"
                guard kind == wanted else { return Self.seeOther("/\(thread.repository.fullName)/\(wanted)/\(number)") }
                return GitHubPages.thread(thread, signedIn: self.authorizingUser)
            }
        }
        // The page's comment form. A login field stands in for the signed-in person when there is none.
        router.post("/:owner/:repo/issues/:number/comment") { request, context in
            let (owner, repo) = (try context.parameters.require("owner"), try context.parameters.require("repo"))
            let number = try context.parameters.require("number", as: Int.self)
            let fields = try await Self.formOrJSON(request, context)
            guard let thread = self.pageThread(owner: owner, repo: repo, number: number) else {
                throw Self.pageNotFound
            }
            let body = (fields["body"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            let author = (self.authorizingUser ?? fields["login"] ?? "").trimmingCharacters(in: .whitespaces)
            guard !body.isEmpty, !author.isEmpty else {
                throw OAuthPageError(
                    status: .unprocessableContent, title: "Nothing to post",
                    message: author.isEmpty ? "Enter the login to comment as." : "Write a comment first.")
            }
            _ = try await self.comment(owner: owner, repo: repo, issue: number, author: author, body: body)
            let kind = thread.issue.isPull ? "pull" : "issues"
            return Self.seeOther("/\(thread.repository.fullName)/\(kind)/\(number)#new-comment")
        }
    }

    static let pageNotFound = OAuthPageError(
        status: .notFound, title: "Page not found", message: "There is no such repository, issue or pull request here.")

    static func seeOther(_ location: String) -> Response {
        var headers = HTTPFields()
        headers[.location] = location
        return Response(status: .seeOther, headers: headers)
    }

    func pageThread(owner: String, repo: String, number: Int) -> PageThread? {
        state.withLock { state in
            guard let repository = state.repository(owner: owner, name: repo),
                let issue = state.issues[repository.id]?[number]
            else { return nil }
            let comments = state.comments.values.filter { $0.repositoryID == repository.id && $0.issueNumber == number }
                .sorted { $0.id < $1.id }
            return PageThread(
                repository: repository, issue: issue, pull: state.pulls[repository.id]?[number], comments: comments)
        }
    }

    func repositoryPage(owner: String, repo: String) -> Response? {
        let found: (EmulatedRepository, [EmulatedIssue], [Int: EmulatedPull])? = state.withLock { state in
            guard let repository = state.repository(owner: owner, name: repo) else { return nil }
            let issues = (state.issues[repository.id] ?? [:]).values.sorted { $0.number > $1.number }
            return (repository, issues, state.pulls[repository.id] ?? [:])
        }
        guard let (repository, issues, pulls) = found else { return nil }
        return GitHubPages.repository(repository, issues: issues, pulls: pulls)
    }
}

/// The HTML of the repository, issue and pull request pages.
enum GitHubPages {
    static func repository(
        _ repository: EmulatedRepository, issues: [EmulatedIssue], pulls: [Int: EmulatedPull]
    ) -> Response {
        let rows = issues.map { issue in
            let kind = issue.isPull ? "pull" : "issues"
            let state = issue.isPull ? pullState(pulls[issue.number], issue: issue) : issue.state
            return """
                <li><span class="state \(state.lowercased())">\(escaped(state.capitalized))</span>
                <a href="/\(escaped(repository.fullName))/\(kind)/\(issue.number)">\(escaped(issue.title))</a>
                <span class="muted">#\(issue.number)\(issue.isPull ? " · pull request" : "")</span></li>
                """
        }
        let list =
            rows.isEmpty
            ? #"<p class="muted">No issues or pull requests yet.</p>"#
            : #"<ul class="threads">\#(rows.joined(separator: "\n"))</ul>"#
        let body = """
            <h1>\(escaped(repository.fullName))</h1>
            <p class="muted">Default branch <code>\(escaped(repository.defaultBranch))</code> ·
            clone <code>git clone \(escaped("/" + repository.fullName + ".git"))</code></p>
            <section class="card">
            <h2>Issues and pull requests</h2>
            \(list)
            </section>
            """
        return GitHubOAuthPages.html(title: repository.fullName, body: body, wide: true)
    }

    static func thread(_ thread: GitHubEmulator.PageThread, signedIn login: String?) -> Response {
        let repository = thread.repository.fullName
        let issue = thread.issue
        let state = issue.isPull ? pullState(thread.pull, issue: issue) : issue.state
        var meta = "\(escaped(issue.author)) opened this \(issue.isPull ? "pull request" : "issue")"
        if let pull = thread.pull {
            meta += " · <code>\(escaped(pull.head))</code> → <code>\(escaped(pull.base))</code>"
        }
        var posts = [post(author: issue.author, body: issue.body ?? "", at: issue.createdAt, viaApp: issue.viaApp)]
        posts += thread.comments.map { post(author: $0.author, body: $0.body, at: $0.createdAt, viaApp: $0.viaApp) }
        let who =
            login.map { #"<p class="muted">Commenting as <strong>@\#(escaped($0))</strong></p>"# } ?? """
                <label for="login">Comment as</label>
                <input type="text" id="login" name="login" required autocomplete="username" placeholder="login">
                """
        let kind = issue.isPull ? "pull request" : "issue"
        let body = """
            <p class="crumbs"><a href="/\(escaped(repository))">\(escaped(repository))</a></p>
            <h1 class="title">\(escaped(issue.title)) <span class="muted">#\(issue.number)</span></h1>
            <p><span class="state \(state.lowercased())">\(escaped(state.capitalized))</span> \(meta)</p>
            <div class="thread">
            \(posts.joined(separator: "\n"))
            </div>
            <form class="card" id="new-comment" method="post" action="/\(escaped(repository))/issues/\(issue.number)/comment">
            \(who)
            <label for="body">Add a comment</label>
            <textarea id="body" name="body" rows="3" required placeholder="@porter demo add a greeting"></textarea>
            <div class="actions"><button type="submit" id="comment">Comment</button></div>
            <p class="muted">The page reloads every few seconds while the box is empty, to show Porter's answers on this \(kind).</p>
            </form>
            <script>
            setInterval(function () {
              var box = document.getElementById("body");
              if (box.value === "" && document.activeElement !== box) { location.reload(); }
            }, 4000);
            </script>
            """
        return GitHubOAuthPages.html(title: "\(issue.title) · \(repository)#\(issue.number)", body: body, wide: true)
    }

    static func pullState(_ pull: EmulatedPull?, issue: EmulatedIssue) -> String {
        guard let pull else { return issue.state }
        if pull.mergedAt != nil { return "merged" }
        if pull.state == "open", pull.draft { return "draft" }
        return pull.state
    }

    static func post(author: String, body: String, at date: Date, viaApp: Bool) -> String {
        let text = body.isEmpty ? #"<p class="muted">No description provided.</p>"# : rendered(escaped(body))
        return """
            <article class="post">
            <header><strong>\(escaped(author))</strong>\(viaApp ? #" <span class="badge">bot</span>"# : "")
            <span class="muted">\(escaped(date.formatted(.iso8601)))</span></header>
            <div class="text">\(text)</div>
            </article>
            """
    }

    static func escaped(_ text: String) -> String { GitHubOAuthPages.escaped(text) }

    /// Escaped text with the little Markdown Porter's comments use: HTML comments hidden (as GitHub
    /// hides Porter's markers), `**bold**`, `` `code` ``, `[text](address)`, and bare http(s) addresses
    /// made links. Everything else stays as written; the text is escaped before any of this.
    static func rendered(_ escapedText: String) -> String {
        var text = escapedText
        let rules: [(String, String)] = [
            (#"&lt;!--[\s\S]*?--&gt;"#, ""),
            (#"`([^`\n]+)`"#, "<code>$1</code>"),
            (#"\*\*([^*\n]+)\*\*"#, "<strong>$1</strong>"),
            (#"\[([^\]\n]+)\]\((https?://[^\s()<>"]+)\)"#, #"<a href="$2">$1</a>"#),
            // A bare address, not one just made a link; it ends before an escaped quote or angle
            // bracket and before trailing punctuation.
            (
                #"(?<![="\w>/])https?://(?:(?!&quot;|&#39;|&lt;|&gt;)[^\s<>"'()\[\]])+(?<![.,;:!?])"#,
                #"<a href="$0">$0</a>"#
            ),
        ]
        for (pattern, template) in rules {
            guard let expression = try? NSRegularExpression(pattern: pattern) else { continue }
            text = expression.stringByReplacingMatches(
                in: text, range: NSRange(text.startIndex..., in: text), withTemplate: template)
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
