/// Scrubs known secret shapes from text before it is logged, stored or posted: GitHub tokens,
/// provider API keys, PEM blocks, Fly tokens, Porter's own task tokens and bearer credentials.
public struct Redactor: Sendable {
    public static let replacement = "[REDACTED]"

    // `patterns`, the secret shapes in order, is generated at build time from
    // `deploy/worker/redaction-patterns.txt` (the RedactionPatterns plugin), the list the worker reads.

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
