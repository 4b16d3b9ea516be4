import Foundation

/// The local demo's world (`porter-emulator github --demo`, which `scripts/dev` runs): `octo`, who is
/// signed in at the consent page, owns `octo/hello`, a tiny project with one open issue, and has
/// installed the App on it.
extension GitHubEmulator {
    public enum Demo {
        public static let user = "octo"
        public static let repository = "hello"
        public static let issue = 1
        static let files = [
            "README.md": "# hello\n\nA tiny command-line greeter.\n",
            "hello.sh": "#!/bin/sh\necho hi\n",
            "AGENTS.md": "Keep changes small. Try the greeter with `sh hello.sh`.\n",
        ]
        static let issueTitle = "The greeting is too terse"
        static let issueBody = """
            Running `sh hello.sh` prints just `hi`. It should greet the person by name, and the README \
            should say how to run it.

            Ask Porter in a comment below, for example: `@porter demo make the greeting friendlier`
            """
    }

    /// Seeds the demo's user, repository, issue and installation, signs `octo` in unless someone else
    /// is, and returns the issue's page.
    @discardableResult
    public func seedDemo() async throws -> String {
        addUser(Demo.user)
        try await addRepository(owner: Demo.user, name: Demo.repository, files: Demo.files, isPrivate: false)
        let number = addIssue(
            owner: Demo.user, repo: Demo.repository, title: Demo.issueTitle, body: Demo.issueBody, author: Demo.user)
        addInstallation(account: Demo.user)
        if authorizingUser == nil { authorizingUser = Demo.user }
        return "\(baseURL)/\(Demo.user)/\(Demo.repository)/issues/\(number)"
    }
}
