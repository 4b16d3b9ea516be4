import Foundation

// Writes the Swift form of the secret shapes both redactors use: the patterns of
// deploy/worker/redaction-patterns.txt, read as the worker's redact.pl reads them (a line trimmed of
// blanks; empty lines and lines starting with "#" skipped), as `Redactor.patterns`.
//
//   porter-redaction-patterns <redaction-patterns.txt> <RedactionPatterns.swift>

let arguments = CommandLine.arguments
guard arguments.count == 3 else {
    FileHandle.standardError.write(Data("usage: porter-redaction-patterns <patterns.txt> <output.swift>\n".utf8))
    exit(2)
}
let text: String
do {
    text = try String(contentsOfFile: arguments[1], encoding: .utf8)
} catch {
    FileHandle.standardError.write(Data("porter-redaction-patterns: cannot read \(arguments[1]): \(error)\n".utf8))
    exit(1)
}
let blanks: Set<Character> = [" ", "\t", "\r", "\n", "\u{0B}", "\u{0C}"]
let patterns = text.split(separator: "\n", omittingEmptySubsequences: false).compactMap { raw -> String? in
    let line = raw.drop { blanks.contains($0) }.reversed().drop { blanks.contains($0) }.reversed()
    let pattern = String(line)
    return pattern.isEmpty || pattern.hasPrefix("#") ? nil : pattern
}
guard !patterns.isEmpty else {
    FileHandle.standardError.write(Data("porter-redaction-patterns: \(arguments[1]) holds no pattern\n".utf8))
    exit(1)
}

/// `text` as a raw string literal whose delimiters no run of `#` inside it can end.
func literal(_ text: String) -> String {
    let longest = text.split(whereSeparator: { $0 != "#" }).map(\.count).max() ?? 0
    let hashes = String(repeating: "#", count: longest + 1)
    return hashes + "\"" + text + "\"" + hashes
}

var source = """
    // Generated at build time from deploy/worker/redaction-patterns.txt; edit that file, not this one.

    extension Redactor {
        /// The secret shapes, applied in order: the lines of `deploy/worker/redaction-patterns.txt`, which
        /// the worker's `redact.pl` reads too, and whose header says which regular expressions Perl and
        /// Swift read alike. A group named `keep` at a pattern's start is kept in front of the replacement.
        public static let patterns: [String] = [

    """
for pattern in patterns { source += "        \(literal(pattern)),\n" }
source += "    ]\n}\n"
do {
    try Data(source.utf8).write(to: URL(fileURLWithPath: arguments[2]), options: .atomic)
} catch {
    FileHandle.standardError.write(Data("porter-redaction-patterns: cannot write \(arguments[2]): \(error)\n".utf8))
    exit(1)
}
