import PorterKit
import Testing

@Suite struct RetentionSettingsTests {
    @Test func defaultsKeepDeliveries30DaysEvents90SideEffects30Jobs7() throws {
        var env = EnvironmentReader([:])
        let settings = RetentionSettings.read(from: &env)
        try env.validate()
        #expect(settings == RetentionSettings())
        #expect(settings.deliveries == .seconds(30 * 86_400))
        #expect(settings.taskEvents == .seconds(90 * 86_400))
        #expect(settings.sideEffects == .seconds(30 * 86_400))
        #expect(settings.jobs == .seconds(7 * 86_400))
        #expect(settings.sessions == .seconds(86_400))
        #expect(settings.interval == .seconds(3600))
    }

    @Test func everyHorizonIsReadFromItsOwnVariable() throws {
        var env = EnvironmentReader([
            "PORTER_RETAIN_DELIVERIES": "14d", "PORTER_RETAIN_TASK_EVENTS": "365d", "PORTER_RETAIN_SIDE_EFFECTS": "2d",
            "PORTER_RETAIN_JOBS": "36h", "PORTER_RETAIN_SESSIONS": "30m", "PORTER_RETENTION_BATCH": "500",
            "PORTER_RETENTION_PAUSE": "0", "PORTER_RETENTION_INTERVAL": "15m",
        ])
        let settings = RetentionSettings.read(from: &env)
        try env.validate()
        #expect(
            settings
                == RetentionSettings(
                    deliveries: .seconds(14 * 86_400), taskEvents: .seconds(365 * 86_400),
                    sideEffects: .seconds(2 * 86_400), jobs: .seconds(36 * 3600), sessions: .seconds(1800),
                    batchSize: 500, batchPause: .zero, interval: .seconds(900)))
    }

    @Test func malformedValuesAreAllNamed() throws {
        var env = EnvironmentReader([
            "PORTER_RETAIN_DELIVERIES": "forever", "PORTER_RETAIN_JOBS": "0d", "PORTER_RETENTION_BATCH": "0",
        ])
        _ = RetentionSettings.read(from: &env)
        let error = try #require(throws: ConfigurationError.self) { try env.validate() }
        #expect(error.variables == ["PORTER_RETAIN_DELIVERIES", "PORTER_RETAIN_JOBS", "PORTER_RETENTION_BATCH"])
    }
}
