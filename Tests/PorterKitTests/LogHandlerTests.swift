import Foundation
import Logging
import PorterKit
import Synchronization
import Testing

@Suite struct LogHandlerTests {
    final class Lines: Sendable {
        let storage = Mutex<[String]>([])
        func append(_ line: String) { storage.withLock { $0.append(line) } }
        var all: [String] { storage.withLock { $0 } }
    }

    func logger(_ format: LogFormat, into lines: Lines, level: Logger.Level = .info) -> Logger {
        Logger(label: "test") { label in
            PorterLogHandler(label: label, level: level, format: format, redactor: Redactor()) { lines.append($0) }
        }
    }

    @Test func jsonLinesCarryMessageLevelAndSnakeCaseMetadata() throws {
        let lines = Lines()
        logger(.json, into: lines).info("task claimed", metadata: ["task_id": "abc", "attempt": "2"])
        let line = try #require(lines.all.first)
        #expect(!line.contains("\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["message"] as? String == "task claimed")
        #expect(object["level"] as? String == "info")
        #expect(object["logger"] as? String == "test")
        #expect(object["task_id"] as? String == "abc")
        #expect(object["timestamp"] is String)
    }

    @Test func secretsAreRedactedInMessagesAndMetadata() {
        let lines = Lines()
        let token = "ghs_16C7e42F292c6912E7710c838347Ae178B4a"
        for format in LogFormat.allCases {
            logger(format, into: lines).error("push failed with \(token)", metadata: ["header": "token \(token)"])
        }
        #expect(lines.all.count == 2)
        #expect(lines.all.allSatisfy { !$0.contains(token) })
    }

    @Test func levelIsHonoured() {
        let lines = Lines()
        let logger = logger(.text, into: lines, level: .warning)
        logger.info("quiet")
        logger.warning("loud")
        #expect(lines.all.count == 1)
        #expect(lines.all.first?.contains("warning test: loud") == true)
    }
}
