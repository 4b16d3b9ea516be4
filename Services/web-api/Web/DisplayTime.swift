import Foundation

/// How pages write times: in UTC, in English month names, whatever the server's locale. One place, with
/// format styles built once (a `DateFormatter` made per call cost a history page a fifth of its time).
enum DisplayTime {
    private static let utc = TimeZone(identifier: "UTC")!
    private static let posix = Locale(identifier: "en_US_POSIX")
    private static let gregorian = Calendar(identifier: .gregorian)

    private static func style(_ format: Date.FormatString) -> Date.VerbatimFormatStyle {
        Date.VerbatimFormatStyle(format: format, locale: posix, timeZone: utc, calendar: gregorian)
    }

    private static let dayStyle = style("\(day: .defaultDigits) \(month: .abbreviated) \(year: .defaultDigits)")
    private static let clockStyle = style(
        "\(hour: .twoDigits(clock: .twentyFourHour, hourCycle: .zeroBased)):\(minute: .twoDigits)")
    private static let secondsStyle = style(
        "\(hour: .twoDigits(clock: .twentyFourHour, hourCycle: .zeroBased)):\(minute: .twoDigits):\(second: .twoDigits)"
    )
    private static let shortDayStyle = style("\(day: .defaultDigits) \(month: .abbreviated)")

    /// 29 Nov 2026
    static func day(_ date: Date) -> String { date.formatted(dayStyle) }

    /// 14:05 UTC
    static func clock(_ date: Date) -> String { date.formatted(clockStyle) + " UTC" }

    /// 29 Nov 14:05 UTC: a recent moment, in a list.
    static func recent(_ date: Date) -> String { date.formatted(shortDayStyle) + " " + clock(date) }

    /// 29 Nov 2026 14:05:09 UTC: a moment on a task's own page.
    static func full(_ date: Date) -> String {
        date.formatted(dayStyle) + " " + date.formatted(secondsStyle) + " UTC"
    }

    /// How long ago: "just now", "12 min ago", "5 h ago", "3 days ago".
    static func age(_ date: Date, now: Date = Date()) -> String {
        let minutes = Int(max(0, now.timeIntervalSince(date)) / 60)
        if minutes < 1 { return "just now" }
        if minutes < 60 { return "\(minutes) min ago" }
        if minutes < 48 * 60 { return "\(minutes / 60) h ago" }
        return "\(minutes / 1_440) days ago"
    }

    /// 2026-11-29T14:05:09Z, for `<time datetime>` and scripts.
    static func iso(_ date: Date) -> String { date.formatted(.iso8601) }
}
