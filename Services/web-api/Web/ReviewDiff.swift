import Foundation
import PorterKit

/// A pull request file's patch (GitHub's `patch`: hunks from `@@` on, no file headers) as rows for
/// the page, in one column (unified) or old beside new (split).
struct ReviewDiff {
    enum Kind: String {
        case hunk, context, added, removed
    }

    struct Line: Equatable {
        var kind: Kind
        var old: Int?
        var new: Int?
        var text: String
    }

    /// One row of the unified view.
    struct UnifiedRow {
        var kind: String
        var old: String
        var new: String
        var sign: String
        var text: String
        /// Where a line note attaches: the new line for added and context lines, the old for removed.
        var noteSide: String?
        var noteLine: Int?
        /// Stored, not computed: templates see stored properties only.
        var isHunk = false
    }

    /// One row of the split view: the old line on the left, the new on the right, either may be blank.
    struct SplitRow {
        struct Cell {
            var kind: String
            var number: String
            var text: String
            var noteSide: String?
            var noteLine: Int?
        }

        var hunk: String?
        var left: Cell?
        var right: Cell?
    }

    let lines: [Line]

    init(patch: String) {
        var lines: [Line] = []
        var old = 0
        var new = 0
        // "\r\n" is one Character to Swift: made "\n" first, or a CRLF file's patch would be one line.
        var raws = patch.replacingOccurrences(of: "\r\n", with: "\n").split(
            separator: "\n", omittingEmptySubsequences: false)
        if raws.last?.isEmpty == true { raws.removeLast() }
        for text in raws {
            if text.hasPrefix("@@") {
                (old, new) = Self.starts(of: text)
                lines.append(Line(kind: .hunk, old: nil, new: nil, text: String(text)))
            } else if text.hasPrefix("+") {
                lines.append(Line(kind: .added, old: nil, new: new, text: String(text.dropFirst())))
                new += 1
            } else if text.hasPrefix("-") {
                lines.append(Line(kind: .removed, old: old, new: nil, text: String(text.dropFirst())))
                old += 1
            } else if text.hasPrefix("\\") {
                // "\ No newline at end of file": said once, not numbered.
                lines.append(Line(kind: .context, old: nil, new: nil, text: String(text)))
            } else {
                lines.append(Line(kind: .context, old: old, new: new, text: String(text.dropFirst())))
                old += 1
                new += 1
            }
        }
        self.lines = lines
    }

    /// The first old and new line numbers of a hunk header `@@ -a,b +c,d @@`.
    static func starts(of header: Substring) -> (Int, Int) {
        let fields = header.split(separator: " ")
        func start(_ prefix: Character) -> Int {
            guard let field = fields.first(where: { $0.first == prefix }) else { return 1 }
            return Int(field.dropFirst().split(separator: ",").first ?? "") ?? 1
        }
        return (start("-"), start("+"))
    }

    var unified: [UnifiedRow] {
        lines.map { line in
            switch line.kind {
            case .hunk:
                UnifiedRow(kind: "hunk", old: "", new: "", sign: "", text: line.text, isHunk: true)
            case .added:
                UnifiedRow(
                    kind: "added", old: "", new: line.new.map(String.init) ?? "", sign: "+", text: line.text,
                    noteSide: "RIGHT", noteLine: line.new)
            case .removed:
                UnifiedRow(
                    kind: "removed", old: line.old.map(String.init) ?? "", new: "", sign: "-", text: line.text,
                    noteSide: "LEFT", noteLine: line.old)
            case .context:
                UnifiedRow(
                    kind: "context", old: line.old.map(String.init) ?? "", new: line.new.map(String.init) ?? "",
                    sign: "", text: line.text, noteSide: line.new == nil ? nil : "RIGHT", noteLine: line.new)
            }
        }
    }

    /// Removed and added lines that follow each other are paired side by side; context shows on both.
    var split: [SplitRow] {
        var rows: [SplitRow] = []
        var removed: [Line] = []
        var added: [Line] = []
        func flush() {
            for index in 0..<max(removed.count, added.count) {
                rows.append(
                    SplitRow(
                        hunk: nil,
                        left: index < removed.count ? Self.cell(removed[index], side: "LEFT") : nil,
                        right: index < added.count ? Self.cell(added[index], side: "RIGHT") : nil))
            }
            removed = []
            added = []
        }
        for line in lines {
            switch line.kind {
            case .removed:
                if !added.isEmpty { flush() }
                removed.append(line)
            case .added:
                added.append(line)
            case .hunk:
                flush()
                rows.append(SplitRow(hunk: line.text, left: nil, right: nil))
            case .context:
                flush()
                rows.append(
                    SplitRow(hunk: nil, left: Self.cell(line, side: "LEFT"), right: Self.cell(line, side: "RIGHT")))
            }
        }
        flush()
        return rows
    }

    static func cell(_ line: Line, side: String) -> SplitRow.Cell {
        let number = side == "LEFT" ? line.old : line.new
        return SplitRow.Cell(
            kind: line.kind.rawValue, number: number.map(String.init) ?? "", text: line.text,
            noteSide: number == nil ? nil : side, noteLine: number)
    }
}
