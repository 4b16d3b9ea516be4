import Foundation

/// Text an agent wrote (its summary, its error, its log), made safe to post under the App's name.
///
/// An agent's output is steerable by whoever wrote the issue, so Porter posts it as the agent's words and
/// never as its own: nothing in it may close an issue, notify a person or a team, hide text, or pose as
/// one of Porter's markers. The defences do not depend on reading the Markdown the way GitHub does:
/// where a parser could disagree (is this `@team` inside a code span?), a zero-width space goes in
/// everywhere, which reads the same inside code and out, and acts on nothing in either.
///
/// - `@name` and `@org/team`: a zero-width space after the `@`, so GitHub sees no mention.
/// - A closing keyword (`close`, `fixes`, `resolved`, …) that something like a reference follows: a
///   zero-width space inside the word, so no `Fixes #12` (or `fixes owner/repo#12`, or an issue's URL) closes anything when
///   the pull request merges. Porter's own `Fixes #N` stays the only closing keyword in its PR.
/// - HTML comments go (so no `<!-- porter:… -->` marker can be forged), and any other `<` that would
///   open a tag, comment or HTML block gets a zero-width space after it: it shows as written.
/// - Invisible and control characters the agent put there go first, so none of the above is undone.
public enum UntrustedMarkdown {
    static let zeroWidthSpace: Unicode.Scalar = "\u{200B}"

    static let closingKeywords: Set<String> = [
        "close", "closes", "closed", "fix", "fixes", "fixed", "resolve", "resolves", "resolved",
    ]

    /// `text` neutralised as above and capped to its last `limit` characters (an agent's conclusion is
    /// at its end), marked `[…]` where it was cut.
    public static func neutralised(_ text: String, limit: Int) -> String {
        var text = visible(text)
        if text.count > limit { text = "[…]\n" + String(text.suffix(limit)) }
        text = removingHTMLComments(text)
        var out = String.UnicodeScalarView()
        let scalars = Array(text.unicodeScalars)
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            let afterWord = index > 0 && isASCIIWord(scalars[index - 1])
            if scalar == "@", !afterWord, index + 1 < scalars.count, isASCIIWord(scalars[index + 1]) {
                out.append(contentsOf: [scalar, zeroWidthSpace])
                index += 1
            } else if scalar == "<", index + 1 < scalars.count, opensTag(scalars[index + 1]) {
                out.append(contentsOf: [scalar, zeroWidthSpace])
                index += 1
            } else if isASCIILetter(scalar), index == 0 || !isASCIILetter(scalars[index - 1]) {
                // A run of letters: copied as it is, or split when it spells a closing keyword.
                var end = index
                while end < scalars.count, isASCIILetter(scalars[end]) { end += 1 }
                let word = scalars[index..<end]
                if closingKeywords.contains(String(String.UnicodeScalarView(word)).lowercased()),
                    referenceFollows(scalars, from: end)
                {
                    out.append(contentsOf: word.prefix(2))
                    out.append(zeroWidthSpace)
                    out.append(contentsOf: word.dropFirst(2))
                } else {
                    out.append(contentsOf: word)
                }
                index = end
            } else {
                out.append(scalar)
                index += 1
            }
        }
        return closingOpenFences(String(out))
    }

    /// Whether what follows a keyword, past any spaces, colons and markup (`**Fixes**: #2`), could be an
    /// issue reference: `#N`, `GH-N`, `owner/repo#N` or a URL. Generous on purpose: a keyword split
    /// where GitHub would not have closed anything costs nothing visible.
    static func referenceFollows(_ scalars: [Unicode.Scalar], from start: Int) -> Bool {
        var index = start
        while index < scalars.count, index - start < 40, !isASCIIWord(scalars[index]), scalars[index] != "#" {
            index += 1
        }
        let rest = String(String.UnicodeScalarView(scalars[index..<min(scalars.count, index + 300)])).lowercased()
        if rest.hasPrefix("#") || rest.hasPrefix("gh-") || rest.hasPrefix("http:") || rest.hasPrefix("https:") {
            return true
        }
        // `owner/repo#N`: a name, a slash, a name, then `#`.
        let isNameScalar = { (scalar: Unicode.Scalar) in isASCIIWord(scalar) || scalar == "." || scalar == "-" }
        let owner = rest.unicodeScalars.prefix(while: isNameScalar).count
        let afterOwner = rest.unicodeScalars.dropFirst(owner)
        guard owner > 0, afterOwner.first == "/" else { return false }
        let repository = afterOwner.dropFirst().prefix(while: isNameScalar).count
        return repository > 0 && afterOwner.dropFirst(1 + repository).first == "#"
    }

    /// `text` as a fenced code block whose fence is longer than any run of backticks inside it, so no
    /// line of it can end the block early; capped to its last `limit` characters.
    public static func fenced(_ text: String, limit: Int) -> String {
        var text = visible(text)
        if text.count > limit { text = "[…]\n" + String(text.suffix(limit)) }
        // Inside a code block nothing renders, but Porter's own marker search reads raw text.
        text = text.replacingOccurrences(of: "<!--", with: "<\u{200B}!--")
        let longestRun = text.split(whereSeparator: { $0 != "`" }).map(\.count).max() ?? 0
        let fence = String(repeating: "`", count: max(3, longestRun + 1))
        return fence + "\n" + text + "\n" + fence
    }

    /// Without control characters (but newlines and tabs) and without the invisible ones prompts lose.
    static func visible(_ text: String) -> String {
        var text = PromptBuilder.storable(text)
        text.unicodeScalars.removeAll { PromptBuilder.hiddenScalars.contains($0.value) }
        return text
    }

    /// Without `<!-- … -->`; an unterminated `<!--` is left for the tag rule to defuse.
    static func removingHTMLComments(_ text: String) -> String {
        guard text.contains("<!--") else { return text }
        var result = ""
        var rest = Substring(text)
        while let open = rest.range(of: "<!--") {
            guard let close = rest[open.upperBound...].range(of: "-->") else { break }
            result += rest[..<open.lowerBound]
            rest = rest[close.upperBound...]
        }
        return result + rest
    }

    /// A fenced code block the text leaves open would swallow whatever Porter writes after it: a fence
    /// at the text's top level still open at its end is closed. (One GitHub would read as closed already
    /// gains an empty line at worst.)
    static func closingOpenFences(_ text: String) -> String {
        var open: (Character, Int)?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let indent = line.prefix { $0 == " " }.count
            guard indent <= 3 else { continue }
            let body = line.dropFirst(indent)
            guard let first = body.first, first == "`" || first == "~" else { continue }
            let run = body.prefix { $0 == first }.count
            guard run >= 3 else { continue }
            if let (character, length) = open {
                if first == character, run >= length, body.dropFirst(run).allSatisfy({ $0 == " " || $0 == "\t" }) {
                    open = nil
                }
            } else if first == "~" || !body.dropFirst(run).contains("`") {
                open = (first, run)
            }
        }
        guard let (character, length) = open else { return text }
        return text + "\n" + String(repeating: character, count: length)
    }

    static func isASCIILetter(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
    }

    /// `[A-Za-z0-9_]`: after one of these an `@` is part of an address, not a mention.
    static func isASCIIWord(_ scalar: Unicode.Scalar) -> Bool {
        isASCIILetter(scalar) || ("0"..."9").contains(scalar) || scalar == "_"
    }

    /// What may follow `<` to open a tag, a closing tag, a comment, a declaration or an instruction.
    static func opensTag(_ scalar: Unicode.Scalar) -> Bool {
        isASCIILetter(scalar) || scalar == "/" || scalar == "!" || scalar == "?"
    }
}
