import PorterKit

struct WebhookGatewayConfig: ServiceConfiguration {
    var basics: ServiceBasics
    /// `GITHUB_WEBHOOK_SECRET`: required; there is no unsigned mode.
    var webhookSecret: Secret<String>
    /// `PORTER_MENTION`: the word after `@` that addresses Porter.
    var mention: String
    /// `GITHUB_APP_SLUG`: comments from `<slug>[bot]` are Porter's own and are ignored.
    var appSlug: String?
    /// `PORTER_ALLOWED_BOTS`: bot accounts (`renovate[bot]`, …) whose commands count; every other bot
    /// is ignored.
    var allowedBots: Set<String>
    /// `PORTER_HELP_FOR_EVERYONE`: answer `help` from commenters without write access too (default false).
    var helpForEveryone: Bool
    /// `PORTER_DEMO_AGENT`: commands may name the built-in `demo` agent (default false).
    var demoAgent: Bool

    var secretValues: [String] { [webhookSecret.value] }

    static func load(from environment: [String: String]) throws(ConfigurationError) -> Self {
        var env = EnvironmentReader(environment)
        let basics = ServiceBasics.read(from: &env, defaultPort: 8081)
        let secret = env.required("GITHUB_WEBHOOK_SECRET", Parse.secret)
        let mention = env.optional("PORTER_MENTION", default: "porter", Parse.mention)
        let slug = env.optional("GITHUB_APP_SLUG", Parse.string)
        let bots = env.optional("PORTER_ALLOWED_BOTS", default: [], Parse.botLogins)
        let helpForEveryone = env.optional("PORTER_HELP_FOR_EVERYONE", default: false, Parse.bool)
        let demoAgent = env.demoAgent()
        try env.validate()
        return Self(
            basics: basics!, webhookSecret: secret!, mention: mention, appSlug: slug, allowedBots: bots,
            helpForEveryone: helpForEveryone, demoAgent: demoAgent)
    }
}
