/// Scrubs known secret shapes from text before it is logged, stored or posted: GitHub tokens,
/// provider API keys, PEM blocks, Fly tokens, Porter's own task tokens and bearer credentials.
public struct Redactor: Sendable {
    public static let replacement = "[REDACTED]"

    /// The secret shapes, applied in order: the lines of `deploy/worker/redaction-patterns.txt`, which the
    /// worker's redactor reads and whose header says which regular expressions Perl and Swift read alike.
    /// A group named `keep` at a pattern's start is kept in front of the replacement.
    public static let patterns: [String] = [
        #"-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----"#,
        #"-----BEGIN [A-Z0-9 ]+-----[\s\S]*\z"#,
        #"\A[\s\S]*?-----END [A-Z0-9 ]+-----"#,
        #"github_pat_[A-Za-z0-9_]{20,}"#,
        #"gh[pousr]_[A-Za-z0-9]{20,}"#,
        #"sk-ant-[A-Za-z0-9_-]{10,}"#,
        #"sk-[A-Za-z0-9_-]{16,}"#,
        #"ptk_[A-Za-z0-9_-]{20,}"#,
        #"(?<keep>FlyV1 )[A-Za-z0-9_+/=,-]{16,}"#,
        #"fm[12][a-z]?_[A-Za-z0-9_+/=,-]{16,}"#,
        #"AIza[0-9A-Za-z_-]{30,}"#,
        #"(?<keep>(?:[Bb][Ee][Aa][Rr][Ee][Rr]|[Tt][Oo][Kk][Ee][Nn]|[Bb][Aa][Ss][Ii][Cc])["']?(?:\s*[:=]\s*|\s+)["']?)[A-Za-z0-9_.~+/=-]{16,}"#,
        #"(?<keep>://)[^/\s:@]+:[^/\s@]+(?=@)"#,
    ]

    /// The patterns compiled as Perl reads them on bytes: matching Unicode scalars, not characters,
    /// with ASCII-only `\s`.
    static let shapes: [Regex<AnyRegexOutput>] = patterns.map {
        try! Regex($0).matchingSemantics(.unicodeScalar).asciiOnlyCharacterClasses()
    }

    private let exactValues: [String]

    /// - Parameter knownSecrets: exact values (configured keys and tokens) redacted wherever they appear,
    ///   whatever their shape. Values shorter than 8 bytes are ignored to avoid mangling ordinary text
    ///   (the worker's redactor counts bytes too).
    public init(knownSecrets: [String] = []) {
        exactValues = Self.longestFirst(knownSecrets)
    }

    private init(exactValues: [String]) {
        self.exactValues = exactValues
    }

    private static func longestFirst(_ values: [String]) -> [String] {
        values.filter { $0.utf8.count >= 8 }.sorted { $0.utf8.count > $1.utf8.count }
    }

    /// This redactor, also scrubbing `secrets`.
    public func adding(_ secrets: [String]) -> Redactor {
        Redactor(exactValues: Self.longestFirst(exactValues + secrets))
    }

    public func redact(_ text: String) -> String {
        var result = text
        for value in exactValues where result.contains(value) {
            result = result.replacingOccurrences(of: value, with: Self.replacement)
        }
        for shape in Self.shapes {
            result = result.replacing(shape) { match in
                String(match.output["keep"]?.substring ?? "") + Self.replacement
            }
        }
        return result
    }
}

extension Regex: @retroactive @unchecked Sendable {}
