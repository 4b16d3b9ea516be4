import Foundation
import PorterKit

struct WebAPIConfig: ServiceConfiguration {
    var basics: ServiceBasics
    var publicURL: URL
    var encryptionKeys: EncryptionKeyring
    var sessions: SessionSettings
    var github: GitHubEndpoints
    var app: GitHubAppCredentials
    var oauth: GitHubOAuthCredentials
    var fly: FlySettings
    /// `PORTER_MENTION`: the name people address Porter by (default `porter`), so text the web app posts
    /// to GitHub never reads as a command.
    var mention: String
    /// `PORTER_DEMO_AGENT`: the dispatch form and `POST /api/tasks` offer the built-in `demo` agent.
    var demoAgent: Bool
    /// `PORTER_WEB_RESOURCES`, or the templates and static files built next to the binary.
    var resources: String

    /// `PORTER_SESSION_SECRET`: at least 32 bytes.
    var sessionSecret: Secret<String>

    var secretValues: [String] {
        [sessionSecret.value, app.privateKeyPEM.value, oauth.clientSecret.value] + [fly.token?.value].compactMap { $0 }
    }

    static func load(from environment: [String: String]) throws(ConfigurationError) -> Self {
        var env = EnvironmentReader(environment)
        let basics = ServiceBasics.read(from: &env, defaultPort: 8080)
        let publicURL = env.publicURL()
        let keys = env.encryptionKeys()
        let sessionSecret = env.required("PORTER_SESSION_SECRET", Parse.sessionSecret)
        let idle = env.optional("PORTER_SESSION_IDLE_TIMEOUT", default: .seconds(3 * 86_400), Parse.duration)
        let lifetime = env.optional("PORTER_SESSION_LIFETIME", default: .seconds(30 * 86_400), Parse.duration)
        let github = GitHubEndpoints.read(from: &env)
        let app = GitHubAppCredentials.read(from: &env)
        let oauth = GitHubOAuthCredentials.read(from: &env)
        let fly = FlySettings.read(from: &env)
        let mention = env.optional("PORTER_MENTION", default: "porter", Parse.mention)
        let demoAgent = env.demoAgent()
        try env.validate()
        return Self(
            basics: basics!, publicURL: publicURL!, encryptionKeys: keys!,
            sessions: SessionSettings(
                secret: sessionSecret!, idleTimeout: idle, lifetime: lifetime,
                secureCookies: publicURL!.scheme == "https"),
            github: github, app: app!, oauth: oauth!, fly: fly, mention: mention, demoAgent: demoAgent,
            resources: Pages.resourceDirectory(environment: environment), sessionSecret: sessionSecret!)
    }

    /// Where people install the App; nil without `GITHUB_APP_SLUG`.
    var installURL: String? {
        app.slug.map { github.webURL.appendingPathComponent("apps/\($0)/installations/new").absoluteString }
    }

    /// `scheme://host[:port]` of the public URL, as a browser sends it in `Origin`.
    var origin: String { Pages.origin(of: publicURL) }
}
