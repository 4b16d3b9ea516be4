import Foundation
import PorterKit

struct WebAPIConfig: ServiceConfiguration {
    var basics: ServiceBasics
    var publicURL: URL
    var encryptionKeys: EncryptionKeyring
    /// `PORTER_SESSION_SECRET`: at least 32 bytes.
    var sessionSecret: Secret<String>
    var github: GitHubEndpoints
    var app: GitHubAppCredentials
    var oauth: GitHubOAuthCredentials
    var fly: FlySettings

    var secretValues: [String] {
        [sessionSecret.value, app.privateKeyPEM.value, oauth.clientSecret.value] + [fly.token?.value].compactMap { $0 }
    }

    static func load(from environment: [String: String]) throws(ConfigurationError) -> Self {
        var env = EnvironmentReader(environment)
        let basics = ServiceBasics.read(from: &env, defaultPort: 8080)
        let publicURL = env.publicURL()
        let keys = env.encryptionKeys()
        let sessionSecret = env.required("PORTER_SESSION_SECRET", Parse.sessionSecret)
        let github = GitHubEndpoints.read(from: &env)
        let app = GitHubAppCredentials.read(from: &env)
        let oauth = GitHubOAuthCredentials.read(from: &env)
        let fly = FlySettings.read(from: &env)
        try env.validate()
        return Self(
            basics: basics!, publicURL: publicURL!, encryptionKeys: keys!, sessionSecret: sessionSecret!,
            github: github,
            app: app!, oauth: oauth!, fly: fly)
    }
}
