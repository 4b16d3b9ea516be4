/// Scrubs known secret shapes from text before it is logged, stored or posted: GitHub tokens,
/// provider API keys, PEM blocks, Fly tokens, Porter's own task tokens and bearer credentials.
public struct Redactor: Sendable {
    public static let replacement = "[REDACTED]"

    /// Patterns for every token shape Porter knows. Ordered so that longer prefixes win (`sk-ant-` before `sk-`).
    static let patterns: [String] = [
        #"-----BEGIN [A-Z0-9 ]+-----[\s\S]*?-----END [A-Z0-9 ]+-----"#,
        #"github_pat_[A-Za-z0-9_]{20,}"#,
        #"gh[pousr]_[A-Za-z0-9]{20,}"#,
        #"sk-ant-[A-Za-z0-9_\-]{10,}"#,
        #"sk-[A-Za-z0-9_\-]{16,}"#,
        #"FlyV1 [A-Za-z0-9_+/=,\-]{16,}"#,
        #"fm[12][a-z]?_[A-Za-z0-9_+/=,\-]{16,}"#,
        #"AIza[0-9A-Za-z_\-]{30,}"#,
        #"ptk_[A-Za-z0-9_\-]{20,}"#,
        #"(?i)(?<=bearer |token |basic )[A-Za-z0-9_.+/=\-]{16,}"#,
        #"(?<=://)[^/\s:@]+:[^/\s@]+(?=@)"#,
    ]

    private let regexes: [Regex<AnyRegexOutput>]
    private let exactValues: [String]

    /// - Parameter knownSecrets: exact values (configured keys and tokens) redacted wherever they appear,
    ///   whatever their shape. Values shorter than 8 characters are ignored to avoid mangling ordinary text.
    public init(knownSecrets: [String] = []) {
        regexes = Self.patterns.map { try! Regex($0) }
        exactValues = knownSecrets.filter { $0.count >= 8 }.sorted { $0.count > $1.count }
    }

    public func redact(_ text: String) -> String {
        var result = text
        for value in exactValues where result.contains(value) {
            result = result.replacingOccurrences(of: value, with: Self.replacement)
        }
        for regex in regexes {
            result = result.replacing(regex, with: Self.replacement)
        }
        return result
    }
}

extension Regex: @retroactive @unchecked Sendable {}
