import Foundation
import PorterKit

struct CallbackReceiverConfig: ServiceConfiguration {
    var basics: ServiceBasics
    var publicURL: URL
    var encryptionKeys: EncryptionKeyring
    var github: GitHubEndpoints
    var app: GitHubAppCredentials
    var defaultKeys: DefaultAgentKeys

    var secretValues: [String] { [app.privateKeyPEM.value] + defaultKeys.keys.values.map(\.value) }

    static func load(from environment: [String: String]) throws(ConfigurationError) -> Self {
        var env = EnvironmentReader(environment)
        let basics = ServiceBasics.read(from: &env, defaultPort: 8082)
        let publicURL = env.publicURL()
        let keys = env.encryptionKeys()
        let github = GitHubEndpoints.read(from: &env)
        let app = GitHubAppCredentials.read(from: &env)
        let defaultKeys = DefaultAgentKeys.read(from: &env)
        try env.validate()
        return Self(
            basics: basics!, publicURL: publicURL!, encryptionKeys: keys!, github: github, app: app!,
            defaultKeys: defaultKeys)
    }
}
