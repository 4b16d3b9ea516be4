import Foundation
import PorterKit

struct CallbackReceiverConfig: ServiceConfiguration {
    var basics: ServiceBasics
    var publicURL: URL
    var encryptionKeys: EncryptionKeyring
    var github: GitHubEndpoints
    var app: GitHubAppCredentials
    var defaultKeys: DefaultAgentKeys
    /// For removing a finished worker's Machine that is still there.
    var fly: FlySettings
    /// `PORTER_ALLOW_SCRIPT_AGENT`: serve specs of `script` tasks. For tests; never in production.
    var allowScriptAgent: Bool
    /// `PORTER_REAP_GRACE`: how long a reported worker may take to exit before its Machine is removed.
    var reapGrace: Duration
    /// `PORTER_INFRA_RETRIES`: new attempts a task gets after infrastructure failures.
    var infraRetries: Int

    var secretValues: [String] {
        [app.privateKeyPEM.value] + defaultKeys.keys.values.map(\.value) + [fly.token?.value].compactMap { $0 }
    }

    static func load(from environment: [String: String]) throws(ConfigurationError) -> Self {
        var env = EnvironmentReader(environment)
        let basics = ServiceBasics.read(from: &env, defaultPort: 8082)
        let publicURL = env.publicURL()
        let keys = env.encryptionKeys()
        let github = GitHubEndpoints.read(from: &env)
        let app = GitHubAppCredentials.read(from: &env)
        let defaultKeys = DefaultAgentKeys.read(from: &env)
        let fly = FlySettings.read(from: &env)
        let allowScript = env.optional("PORTER_ALLOW_SCRIPT_AGENT", default: false, Parse.bool)
        let reapGrace = env.optional("PORTER_REAP_GRACE", default: .seconds(15), Parse.durationOrZero)
        let infraRetries = env.optional("PORTER_INFRA_RETRIES", default: 2, Parse.count)
        try env.validate()
        return Self(
            basics: basics!, publicURL: publicURL!, encryptionKeys: keys!, github: github, app: app!,
            defaultKeys: defaultKeys, fly: fly, allowScriptAgent: allowScript, reapGrace: reapGrace,
            infraRetries: infraRetries)
    }
}
