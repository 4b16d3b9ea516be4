import Foundation
import PorterKit
import PorterTestSupport
import PostgresNIO
import Testing

/// `<service> rotate-keys` on the real binaries, as an operator runs it.
@Suite(.serialized) struct RotateKeysBinaryTests {
    static let rotatedKeys = SealedRows.environmentValue([("new", 2), ("old", 1)])

    static func rotateKeys(_ service: String, _ environment: [String: String]) async throws -> (Int32?, String) {
        let process = try ServiceProcess.start(service, arguments: ["rotate-keys"], environment: environment)
        defer { process.terminate() }
        let status = await process.waitForExit(timeout: .seconds(60))
        return (status, process.output)
    }

    @Test func anyServiceRotatesTheKeysThenHasNothingToDoAndFailsOnAValueNoKeyOpens() async throws {
        try await TestDatabase.withClient { client, url in
            let written = try await SealedRows.seed(client, keyring: SealedRows.keyring([("old", 1)]), users: 1...2)
            let environment = ["DATABASE_URL": url.connectionString, "PORTER_ENCRYPTION_KEYS": Self.rotatedKeys]

            let (status, output) = try await Self.rotateKeys("web-api", environment)
            #expect(status == 0, "\(output)")
            #expect(output.contains("user_secrets: 4 re-encrypted, 0 unreadable"))
            #expect(output.contains("oauth_tokens: 2 re-encrypted, 0 unreadable"))
            #expect(output.contains("task_attempts: 2 re-encrypted, 0 unreadable"))
            #expect(output.contains("done: every sealed value is under key 'new'; older keys may be removed"))
            #expect(output.contains("re-encrypted a batch"))
            #expect(try await SealedRows.read(client, keyring: SealedRows.keyring([("new", 2)])) == written)

            let (again, againOutput) = try await Self.rotateKeys("dispatcher", environment)
            #expect(again == 0, "\(againOutput)")
            #expect(againOutput.contains("nothing to do: every sealed value is already under key 'new'"))

            try await PostgresUserSecretStore(
                client: client, keyring: SealedRows.keyring([("lost", 9)]), logger: TestDatabase.logger
            ).put(userID: 2, name: "OPENAI_API_KEY", value: "sk-lost-0123456789")
            let (failed, failedOutput) = try await Self.rotateKeys("watchdog", environment)
            #expect(failed == 1, "\(failedOutput)")
            #expect(
                failedOutput.contains(
                    "unreadable: user_secrets user 2 secret OPENAI_API_KEY: no configured encryption key has id 'lost'")
            )
            #expect(failedOutput.contains("1 value(s) open with no configured key and were left as they are"))
            for output in [output, againOutput, failedOutput] {
                #expect(!output.contains("sk-lost-0123456789"))
                for value in written.values { #expect(!output.contains(value)) }
            }
        }
    }

    @Test func missingAndMalformedVariablesAreAllNamedWithExitStatus78() async throws {
        let (missing, missingOutput) = try await Self.rotateKeys("callback-receiver", [:])
        #expect(missing == ServiceCommand.configurationExitCode)
        #expect(missingOutput.contains("DATABASE_URL: is required but not set"))
        #expect(missingOutput.contains("PORTER_ENCRYPTION_KEYS: is required but not set"))

        let (malformed, malformedOutput) = try await Self.rotateKeys(
            "webhook-gateway", ["DATABASE_URL": "mysql://nowhere", "PORTER_ENCRYPTION_KEYS": "k1:c2hvcnQ="])
        #expect(malformed == ServiceCommand.configurationExitCode)
        #expect(malformedOutput.contains("DATABASE_URL"))
        #expect(malformedOutput.contains("PORTER_ENCRYPTION_KEYS: key 'k1' must be 32 bytes"))
        #expect(!malformedOutput.contains("c2hvcnQ="))
    }

    @Test func helpDescribesRotatingKeys() async throws {
        let process = try ServiceProcess.start("watchdog", arguments: ["--help"], environment: [:])
        defer { process.terminate() }
        #expect(await process.waitForExit(timeout: .seconds(10)) == 0)
        #expect(process.output.contains("rotate-keys"))
    }
}
