import Foundation
import PorterKit

struct DispatcherConfig: ServiceConfiguration {
    var basics: ServiceBasics
    var publicURL: URL
    /// `PORTER_CALLBACK_URL`: the base URL Machines use to reach callback-receiver.
    var callbackURL: URL
    var encryptionKeys: EncryptionKeyring
    var github: GitHubEndpoints
    var app: GitHubAppCredentials
    var fly: FlySettings
    var runtime: WorkerRuntime
    var machine: MachineShape
    var limits: TaskLimits
    var defaultKeys: DefaultAgentKeys

    var secretValues: [String] {
        [app.privateKeyPEM.value] + [fly.token?.value].compactMap { $0 } + defaultKeys.keys.values.map(\.value)
    }

    static func load(from environment: [String: String]) throws(ConfigurationError) -> Self {
        var env = EnvironmentReader(environment)
        let basics = ServiceBasics.read(from: &env, defaultPort: 8083)
        let publicURL = env.publicURL()
        let callbackURL = env.required("PORTER_CALLBACK_URL", Parse.httpURL)
        let keys = env.encryptionKeys()
        let github = GitHubEndpoints.read(from: &env)
        let app = GitHubAppCredentials.read(from: &env)
        let fly = FlySettings.read(from: &env)
        let runtime = env.workerRuntime()
        let machine = MachineShape.read(from: &env, runtime: runtime)
        let limits = TaskLimits.read(from: &env)
        let defaultKeys = DefaultAgentKeys.read(from: &env)
        try env.validate()
        return Self(
            basics: basics!, publicURL: publicURL!, callbackURL: callbackURL!, encryptionKeys: keys!, github: github,
            app: app!, fly: fly, runtime: runtime, machine: machine, limits: limits, defaultKeys: defaultKeys)
    }
}
