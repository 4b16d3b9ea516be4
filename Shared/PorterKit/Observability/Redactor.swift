/// Scrubs known secret shapes from text before it is logged, stored or posted: GitHub tokens,
/// provider API keys, PEM blocks, Fly tokens, Porter's own task tokens and bearer credentials.
public struct Redactor: Sendable {
    public static let replacement = "[REDACTED]"

    /// A secret shape. When the pattern has a capture group, the group is kept (a label such as
    /// `Bearer `) and only what follows it is replaced.
    struct Shape {
        let pattern: String
        let keepsPrefix: Bool
    }

    /// Ordered so that longer prefixes win (`sk-ant-` before `sk-`).
    static let shapes: [Shape] = [
        Shape(pattern: #"-----BEGIN [A-Z0-9 ]+-----[\s\S]*?-----END [A-Z0-9 ]+-----"#, keepsPrefix: false),
        Shape(pattern: #"github_pat_[A-Za-z0-9_]{20,}"#, keepsPrefix: false),
        Shape(pattern: #"gh[pousr]_[A-Za-z0-9]{20,}"#, keepsPrefix: false),
        Shape(pattern: #"sk-ant-[A-Za-z0-9_\-]{10,}"#, keepsPrefix: false),
        Shape(pattern: #"sk-[A-Za-z0-9_\-]{16,}"#, keepsPrefix: false),
        Shape(pattern: #"FlyV1 [A-Za-z0-9_+/=,\-]{16,}"#, keepsPrefix: false),
        Shape(pattern: #"fm[12][a-z]?_[A-Za-z0-9_+/=,\-]{16,}"#, keepsPrefix: false),
        Shape(pattern: #"AIza[0-9A-Za-z_\-]{30,}"#, keepsPrefix: false),
        Shape(pattern: #"ptk_[A-Za-z0-9_\-]{20,}"#, keepsPrefix: false),
        Shape(pattern: #"((?i:bearer|token|basic) )[A-Za-z0-9_.+/=\-]{16,}"#, keepsPrefix: true),
        Shape(pattern: #"(://)[^/\s:@]+:[^/\s@]+(?=@)"#, keepsPrefix: true),
    ]

    private let regexes: [(regex: Regex<AnyRegexOutput>, keepsPrefix: Bool)]
    private let exactValues: [String]

    /// - Parameter knownSecrets: exact values (configured keys and tokens) redacted wherever they appear,
    ///   whatever their shape. Values shorter than 8 characters are ignored to avoid mangling ordinary text.
    public init(knownSecrets: [String] = []) {
        regexes = Self.shapes.map { (try! Regex($0.pattern), $0.keepsPrefix) }
        exactValues = knownSecrets.filter { $0.count >= 8 }.sorted { $0.count > $1.count }
    }

    private init(regexes: [(regex: Regex<AnyRegexOutput>, keepsPrefix: Bool)], exactValues: [String]) {
        self.regexes = regexes
        self.exactValues = exactValues
    }

    /// This redactor, also scrubbing `secrets`.
    public func adding(_ secrets: [String]) -> Redactor {
        Redactor(
            regexes: regexes,
            exactValues: (exactValues + secrets.filter { $0.count >= 8 }).sorted { $0.count > $1.count })
    }

    public func redact(_ text: String) -> String {
        var result = text
        for value in exactValues where result.contains(value) {
            result = result.replacingOccurrences(of: value, with: Self.replacement)
        }
        for (regex, keepsPrefix) in regexes {
            result = result.replacing(regex) { match in
                guard keepsPrefix, let prefix = match.output[1].substring else { return Self.replacement }
                return prefix + Self.replacement
            }
        }
        return result
    }
}

extension Regex: @retroactive @unchecked Sendable {}
