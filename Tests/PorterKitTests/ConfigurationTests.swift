import Foundation
import PorterKit
import Testing

@Suite struct ConfigurationTests {
    @Test func everyMissingAndMalformedVariableIsNamedAtOnce() throws {
        var env = EnvironmentReader(["PORT": "99999", "LOG_LEVEL": "loud"])
        _ = ServiceBasics.read(from: &env, defaultPort: 8080)
        _ = env.required("GITHUB_WEBHOOK_SECRET", Parse.secret)
        let error = try #require(throws: ConfigurationError.self) { try env.validate() }
        #expect(error.variables == ["DATABASE_URL", "PORT", "LOG_LEVEL", "GITHUB_WEBHOOK_SECRET"])
        #expect(error.description.contains("DATABASE_URL: is required but not set"))
    }

    @Test func blankValuesCountAsMissing() throws {
        var env = EnvironmentReader(["DATABASE_URL": "   "])
        _ = env.required("DATABASE_URL", DatabaseURL.parse)
        let error = try #require(throws: ConfigurationError.self) { try env.validate() }
        #expect(error.problems == [.init(variable: "DATABASE_URL", reason: "is required but not set")])
    }

    @Test func defaultsApplyWhenOptionalVariablesAreAbsent() throws {
        var env = EnvironmentReader(["DATABASE_URL": "postgres://u:p@db:6543/porter"])
        let basics = try #require(ServiceBasics.read(from: &env, defaultPort: 8081))
        try env.validate()
        #expect(basics.port == 8081)
        #expect(basics.host == "0.0.0.0")
        #expect(basics.logLevel == .info)
        #expect(basics.logFormat == .text)
        #expect(basics.database.port == 6543)
        #expect(basics.database.database == "porter")
    }

    @Test func malformedOptionalValueIsAnErrorNotTheDefault() throws {
        var env = EnvironmentReader(["PORTER_TASK_TIMEOUT": "soon"])
        _ = TaskLimits.read(from: &env)
        #expect(throws: ConfigurationError.self) { try env.validate() }
    }

    @Test(arguments: [("90s", 90), ("30m", 1800), ("2h", 7200), ("30d", 2_592_000), ("45", 45)])
    func durationsParse(text: String, seconds: Int64) throws {
        #expect(try Parse.duration(text) == .seconds(seconds))
    }

    @Test(arguments: ["0d", "-1d", "d", "1.5d", "30 days", "1w"])
    func malformedDurationsAreRejected(text: String) {
        #expect(throws: InvalidValue.self) { try Parse.duration(text) }
    }

    /// A grace period an operator turns off (`PORTER_REAP_GRACE=0s`) is zero; anything else malformed
    /// is still refused.
    @Test func durationsThatMayBeZeroTakeZeroAndNothingMalformed() throws {
        #expect(try Parse.durationOrZero("0s") == .zero)
        #expect(try Parse.durationOrZero("0") == .zero)
        #expect(try Parse.durationOrZero("250ms") == .milliseconds(250))
        #expect(try Parse.durationOrZero("15s") == .seconds(15))
        for text in ["-1s", "s", "1.5s", "soon", ""] {
            #expect(throws: InvalidValue.self, "\(text)") { try Parse.durationOrZero(text) }
        }
    }

    @Test(arguments: [
        "mysql://u@h/db", "postgres://h/db", "postgres://u@h", "not a url", "postgres://u@h/db?sslmode=bogus",
    ])
    func malformedDatabaseURLsAreRejected(text: String) {
        #expect(throws: InvalidValue.self) { try DatabaseURL.parse(text) }
    }

    @Test func databaseURLDescriptionLeavesOutThePassword() throws {
        let url = try DatabaseURL.parse("postgres://porter:hunter2-secret@db.internal:5432/porter?sslmode=require")
        #expect(url.tlsMode == .require)
        #expect(!"\(url)".contains("hunter2"))
        #expect(url.connectionString.contains("hunter2-secret"))
    }

    @Test func secretsNeverPrint() {
        let secret = Secret("ghs_supersecretvalue")
        #expect("\(secret)" == "<redacted>")
        #expect(String(reflecting: secret) == "<redacted>")
        var dumped = ""
        dump(secret, to: &dumped)
        #expect(!dumped.contains("supersecret"))
    }

    @Test func appPrivateKeyMustBeARealRSAKey() throws {
        var env = EnvironmentReader([
            "GITHUB_APP_ID": "12",
            "GITHUB_APP_PRIVATE_KEY": "-----BEGIN RSA PRIVATE KEY-----\nnope\n-----END RSA PRIVATE KEY-----",
        ])
        #expect(GitHubAppCredentials.read(from: &env) == nil)
        let error = try #require(throws: ConfigurationError.self) { try env.validate() }
        #expect(error.variables == ["GITHUB_APP_PRIVATE_KEY"])
        #expect(!error.description.contains("nope"))
    }

    @Test func defaultAgentKeysAreCollectedByPrefix() {
        var env = EnvironmentReader([
            "PORTER_DEFAULT_ANTHROPIC_API_KEY": "sk-ant-x", "PORTER_DEFAULT_": "ignored", "OTHER": "y",
        ])
        let keys = DefaultAgentKeys.read(from: &env)
        #expect(keys.keys.keys.sorted() == ["ANTHROPIC_API_KEY"])
        #expect(keys.keys["ANTHROPIC_API_KEY"]?.value == "sk-ant-x")
    }

    @Test func workerImageIsRequiredOnlyForTheFlyRuntime() throws {
        var fly = EnvironmentReader([:])
        _ = MachineShape.read(from: &fly, runtime: .fly)
        #expect(throws: ConfigurationError.self) { try fly.validate() }
        var local = EnvironmentReader([:])
        _ = MachineShape.read(from: &local, runtime: .local)
        try local.validate()
    }

    @Test(arguments: ["porter", "@Porter", "my-bot2"])
    func mentionWordsParse(text: String) throws {
        #expect(try Parse.mention(text) == text.lowercased().replacingOccurrences(of: "@", with: ""))
    }

    @Test(arguments: ["", "-x", "por ter", "pörter", "a@b"])
    func badMentionWordsAreRejected(text: String) {
        #expect(throws: InvalidValue.self) { try Parse.mention(text) }
    }
}
