import Foundation

/// Task history as CSV (RFC 4180: CRLF line ends, a field with a comma, quote, CR or LF quoted, quotes
/// doubled), safe to open in a spreadsheet: a cell that would start a formula is prefixed with an
/// apostrophe, since titles and branch names are text anyone who can open an issue controls.
public enum TaskCSV {
    public static let columns = [
        "id", "repository", "issue_number", "issue_title", "status", "status_reason", "agent", "model", "requester",
        "branch", "pull_request_url", "created_at", "started_at", "finished_at", "duration_seconds",
    ]

    public static var header: String { line(columns) }

    /// One task as a CSV line, CRLF included; times in ISO 8601 UTC.
    public static func row(_ task: TaskSummary) -> String {
        let duration = task.finishedAt.map { end in
            String(max(0, Int(end.timeIntervalSince(task.startedAt ?? task.createdAt).rounded())))
        }
        return line([
            task.id, task.repository, String(task.issueNumber), task.issueTitle ?? "", task.status,
            task.statusReason ?? "", task.agent, task.model ?? "", task.requester, task.branch ?? "",
            task.pullRequestURL ?? "", time(task.createdAt), task.startedAt.map(time) ?? "",
            task.finishedAt.map(time) ?? "", duration ?? "",
        ])
    }

    static func line(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",") + "\r\n"
    }

    /// A cell as written: neutralised, then quoted when it must be.
    public static func field(_ text: String) -> String {
        var cell = text
        if let first = cell.unicodeScalars.first, formulaStarts.contains(first) { cell = "'" + cell }
        guard cell.unicodeScalars.contains(where: { mustQuote.contains($0) }) else { return cell }
        return "\"" + cell.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// What spreadsheets read as the start of a formula (OWASP's list for CSV injection).
    static let formulaStarts: Set<Unicode.Scalar> = ["=", "+", "-", "@", "\t", "\r"]
    static let mustQuote: Set<Unicode.Scalar> = [",", "\"", "\r", "\n"]

    static func time(_ date: Date) -> String { date.formatted(utc) }

    static let utc = Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC")!)
}
