import PorterKit

struct WatchdogConfig: ServiceConfiguration {
    var basics: ServiceBasics
    var github: GitHubEndpoints
    var app: GitHubAppCredentials
    var fly: FlySettings
    var runtime: WorkerRuntime
    var limits: TaskLimits

    var secretValues: [String] { [app.privateKeyPEM.value] + [fly.token?.value].compactMap { $0 } }

    static func load(from environment: [String: String]) throws(ConfigurationError) -> Self {
        var env = EnvironmentReader(environment)
        let basics = ServiceBasics.read(from: &env, defaultPort: 8084)
        let github = GitHubEndpoints.read(from: &env)
        let app = GitHubAppCredentials.read(from: &env)
        let fly = FlySettings.read(from: &env)
        let runtime = env.workerRuntime()
        let limits = TaskLimits.read(from: &env)
        try env.validate()
        return Self(basics: basics!, github: github, app: app!, fly: fly, runtime: runtime, limits: limits)
    }
}
