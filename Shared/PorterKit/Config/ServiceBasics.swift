import Logging

/// How log lines are written: readable text, or one JSON object per line.
public enum LogFormat: String, Sendable, CaseIterable { case text, json }

/// The variables every service reads: database, listen address, logging.
public struct ServiceBasics: Sendable {
    public var database: DatabaseURL
    public var host: String
    public var port: Int
    public var logLevel: Logger.Level
    public var logFormat: LogFormat

    public init(
        database: DatabaseURL, host: String = "0.0.0.0", port: Int, logLevel: Logger.Level = .info,
        logFormat: LogFormat = .text
    ) {
        self.database = database
        self.host = host
        self.port = port
        self.logLevel = logLevel
        self.logFormat = logFormat
    }

    /// Reads the common variables; nil when any of them is missing or malformed (the reader says which).
    public static func read(from env: inout EnvironmentReader, defaultPort: Int) -> ServiceBasics? {
        let database = env.required("DATABASE_URL", DatabaseURL.parse)
        let host = env.optional("HOST", default: "0.0.0.0", Parse.string)
        let port = env.optional("PORT", default: defaultPort, Parse.port)
        let logging = LoggingOptions.read(from: &env)
        guard let database else { return nil }
        return ServiceBasics(
            database: database, host: host, port: port, logLevel: logging.level, logFormat: logging.format)
    }
}

/// `LOG_LEVEL` and `LOG_FORMAT`, which even `migrate` honours.
public struct LoggingOptions: Sendable {
    public var level: Logger.Level
    public var format: LogFormat

    public init(level: Logger.Level = .info, format: LogFormat = .text) {
        self.level = level
        self.format = format
    }

    public static func read(from env: inout EnvironmentReader) -> LoggingOptions {
        LoggingOptions(
            level: env.optional("LOG_LEVEL", default: .info, Parse.logLevel),
            format: env.optional("LOG_FORMAT", default: .text, Parse.oneOf(LogFormat.self)))
    }
}
