import Foundation

/// One line of text the agent controls, made safe to show in a comment Porter posts.
public enum AgentLine {
    /// The latest meaningful line of a progress report: the last non-empty output line, else the message.
    public static func latest(lines: [String], message: String) -> String? {
        let candidates = lines.reversed() + [message]
        return candidates.lazy.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.first { !$0.isEmpty }
    }

    /// `text` as one inline code span of at most `limit` characters, or nil when nothing is left.
    /// Inside a code span GitHub renders no Markdown and links nothing: an `@mention` notifies
    /// nobody, `#12` references no issue, and `fixes #12` closes nothing. The text is flattened to one
    /// line without hidden characters, `<!--` is broken up so it never forges Porter's comment
    /// markers, and the span's fence is longer than any backtick run inside it.
    public static func inlineCode(_ text: String, limit: Int = 120) -> String? {
        var line = PromptBuilder.storable(text)
        line.unicodeScalars.removeAll { PromptBuilder.hiddenScalars.contains($0.value) }
        line = line.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        if line.count > limit { line = String(line.prefix(limit - 1)).trimmingCharacters(in: .whitespaces) + "…" }
        line = line.replacingOccurrences(of: "<!--", with: "<! --")
        guard !line.isEmpty else { return nil }
        let longestRun = line.split(whereSeparator: { $0 != "`" }).map(\.count).max() ?? 0
        let fence = String(repeating: "`", count: longestRun + 1)
        // CommonMark strips one space on each side, so a span that starts or ends with a backtick keeps it.
        let padding = line.hasPrefix("`") || line.hasSuffix("`") ? " " : ""
        return fence + padding + line + padding + fence
    }
}
