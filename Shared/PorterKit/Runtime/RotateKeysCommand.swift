import ArgumentParser
import Foundation
import Logging

/// Re-encrypts every stored secret under the first key of `PORTER_ENCRYPTION_KEYS`, then exits.
public struct RotateKeysCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "rotate-keys",
        abstract: "Re-encrypt every stored secret under the first key of PORTER_ENCRYPTION_KEYS and exit.",
        discussion: """
            Needs DATABASE_URL and PORTER_ENCRYPTION_KEYS (the new key first, the old ones after it). Safe to \
            run while the services serve, and to run again: an interrupted run is finished by the next one. \
            Exits 0 when every sealed value is under the first key, so the older keys can be removed; 1 when \
            a value opens with no configured key (it is named and left as it is) or was rewritten under an \
            older key while this ran.
            """)

    @Option(help: "Rows re-encrypted per transaction.")
    var batchSize = 500

    public init() {}

    public func run() async throws {
        var env = EnvironmentReader(ProcessInfo.processInfo.environment)
        let logging = LoggingOptions.read(from: &env)
        let database = env.required("DATABASE_URL", DatabaseURL.parse)
        let keyring = env.encryptionKeys()
        do {
            try env.validate()
        } catch {
            FileHandle.standardError.write(Data("rotate-keys: \(error)\n".utf8))
            throw ExitCode(ServiceCommand.configurationExitCode)
        }
        guard let database, let keyring else { throw ExitCode(ServiceCommand.configurationExitCode) }
        LoggingSystem.bootstrapPorter(level: logging.level, format: logging.format)
        let logger = Logger(label: "rotate-keys")
        logger.info("rotating keys", metadata: ["key_id": "\(keyring.primary.id)", "batch_size": "\(batchSize)"])
        let report: KeyRotationReport
        do {
            report = try await withPostgres(database, logger: logger) { [batchSize] client in
                try await KeyRotation(client: client, keyring: keyring, batchSize: batchSize, logger: logger).run()
            }
        } catch {
            logger.error(
                "key rotation stopped; run it again to finish", metadata: ["error": "\(String(reflecting: error))"])
            throw ExitCode.failure
        }
        for line in report.summary {
            // A plain summary for a person at a terminal; log lines where logs are read as JSON.
            if logging.format == .text { StandardOutputSink.shared.write(line) } else { logger.notice("\(line)") }
        }
        guard report.isComplete, report.unreadable.isEmpty else { throw ExitCode.failure }
    }

    public mutating func validate() throws {
        guard batchSize > 0 else { throw ValidationError("--batch-size must be at least 1") }
    }
}
