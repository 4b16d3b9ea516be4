/// Finds where a comment addresses Porter: `@<mention>` as a whole word, case-insensitive, outside
/// inline code spans, fenced code blocks and quoted lines; never `@porter-bot`, `@porter/team`,
/// `@porter.io` or an e-mail address such as `me@porter.dev`.
public struct MentionScanner: Sendable {
    public let mention: String

    public init(mention: String) { self.mention = mention.lowercased() }

    /// What follows the first mention: the rest of its line, and every later line.
    public struct Found: Sendable, Equatable {
        public var commandLine: String
        public var followingLines: String
    }

    public func scan(_ body: String) -> Found? {
        // "\r\n" is one Character, so it is a line break of its own.
        let lines = body.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        var fence: (marker: Character, length: Int)?
        for (index, line) in lines.enumerated() {
            let trimmed = line.drop(while: { $0 == " " })
            if let opening = Self.fence(in: trimmed) {
                if let open = fence {
                    if opening.marker == open.marker, opening.length >= open.length,
                        trimmed.dropFirst(opening.length).allSatisfy(\.isWhitespace)
                    {
                        fence = nil
                    }
                } else {
                    fence = opening
                }
                continue
            }
            if fence != nil || trimmed.hasPrefix(">") { continue }
            if let end = mentionEnd(in: Array(line)) {
                let rest = String(Array(line)[end...])
                return Found(commandLine: rest, followingLines: lines[(index + 1)...].joined(separator: "\n"))
            }
        }
        return nil
    }

    /// A fence opener: three or more backticks or tildes at the start of a line.
    private static func fence(in line: Substring) -> (marker: Character, length: Int)? {
        guard let first = line.first, first == "`" || first == "~" else { return nil }
        let length = line.prefix(while: { $0 == first }).count
        return length >= 3 ? (first, length) : nil
    }

    /// The index just past the first valid mention in `line`, skipping inline code spans.
    private func mentionEnd(in line: [Character]) -> Int? {
        let word = Array(mention)
        var index = 0
        while index < line.count {
            if line[index] == "`" {
                let run = line[index...].prefix(while: { $0 == "`" }).count
                if let close = Self.closingRun(of: run, in: line, from: index + run) {
                    index = close + run
                    continue
                }
                index += run
                continue
            }
            if line[index] == "@", isMention(line, at: index, word: word) { return index + 1 + word.count }
            index += 1
        }
        return nil
    }

    private static func closingRun(of length: Int, in line: [Character], from start: Int) -> Int? {
        var index = start
        while index < line.count {
            guard line[index] == "`" else {
                index += 1
                continue
            }
            let run = line[index...].prefix(while: { $0 == "`" }).count
            if run == length { return index }
            index += run
        }
        return nil
    }

    private func isMention(_ line: [Character], at: Int, word: [Character]) -> Bool {
        let end = at + 1 + word.count
        guard end <= line.count,
            zip(line[(at + 1)..<end], word).allSatisfy({ $0.lowercased() == String($1) })
        else { return false }
        // Text glued before the @ makes it an e-mail address or part of a word.
        if at > 0, Self.isWordCharacter(line[at - 1]) || "._+-/@".contains(line[at - 1]) { return false }
        guard end < line.count else { return true }
        let next = line[end]
        if Self.isWordCharacter(next) || "-_/@".contains(next) { return false }
        // `@porter.io` is a domain; `@porter.` ending a sentence is a mention.
        if next == ".", end + 1 < line.count, Self.isWordCharacter(line[end + 1]) { return false }
        return true
    }

    private static func isWordCharacter(_ character: Character) -> Bool { character.isLetter || character.isNumber }
}
