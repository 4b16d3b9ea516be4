import Foundation
import Logging

/// The log handler every service installs: readable text or one JSON object per line, with every
/// message and metadata value passed through the `Redactor` first.
public struct PorterLogHandler: LogHandler {
    public typealias Sink = @Sendable (String) -> Void

    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    private let label: String
    private let format: LogFormat
    private let redactor: Redactor
    private let sink: Sink

    public init(label: String, level: Logger.Level, format: LogFormat, redactor: Redactor, sink: @escaping Sink) {
        self.label = label
        self.logLevel = level
        self.format = format
        self.redactor = redactor
        self.sink = sink
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        if let error = event.error { merged["error"] = .string(String(reflecting: error)) }
        let message = redactor.redact(event.message.description)
        let timestamp = Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        switch format {
        case .json:
            var object: [String: Any] = [
                "timestamp": timestamp, "level": event.level.rawValue, "logger": label, "message": message,
            ]
            for (key, value) in merged where object[key] == nil { object[key] = jsonValue(value) }
            if let data = try? JSONSerialization.data(
                withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]),
                let line = String(data: data, encoding: .utf8)
            {
                sink(line)
            }
        case .text:
            let fields = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\(redactor.redact($0.value.description))" }
            let suffix = fields.isEmpty ? "" : " " + fields.joined(separator: " ")
            sink("\(timestamp) \(event.level.rawValue) \(label): \(message)\(suffix)")
        }
    }

    private func jsonValue(_ value: Logger.MetadataValue) -> Any {
        switch value {
        case .string(let string): redactor.redact(string)
        case .stringConvertible(let convertible): redactor.redact(convertible.description)
        case .array(let values): values.map(jsonValue)
        case .dictionary(let values): values.mapValues(jsonValue)
        }
    }
}

/// Writes whole lines to standard output under a lock, so concurrent log lines never interleave.
public final class StandardOutputSink: Sendable {
    public static let shared = StandardOutputSink()
    private let lock = NSLock()

    public func write(_ line: String) {
        lock.lock()
        defer { lock.unlock() }
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}

extension LoggingSystem {
    /// Installs Porter's handler for the whole process; call once, first thing in `main`.
    public static func bootstrapPorter(level: Logger.Level, format: LogFormat, redactor: Redactor = Redactor()) {
        let sink: PorterLogHandler.Sink = { StandardOutputSink.shared.write($0) }
        bootstrap { label in
            PorterLogHandler(label: label, level: level, format: format, redactor: redactor, sink: sink)
        }
    }
}
