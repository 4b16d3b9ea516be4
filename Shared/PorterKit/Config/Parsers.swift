import Foundation
import Logging

/// Parsers for the value shapes the operator contract uses. Their errors describe the expected
/// shape and never echo the value, which may be a secret.
public enum Parse {
    public static func string(_ value: String) -> String { value }

    public static func secret(_ value: String) -> Secret<String> { Secret(value) }

    /// `1`, `true`, `yes` or `0`, `false`, `no`.
    public static func bool(_ value: String) throws -> Bool {
        switch value.lowercased() {
        case "1", "true", "yes": return true
        case "0", "false", "no": return false
        default: throw InvalidValue("must be true or false")
        }
    }

    public static func port(_ value: String) throws -> Int {
        guard let port = Int(value), (1...65_535).contains(port) else {
            throw InvalidValue("must be a port number from 1 to 65535")
        }
        return port
    }

    public static func positiveInt(_ value: String) throws -> Int {
        guard let number = Int(value), number > 0 else { throw InvalidValue("must be a positive whole number") }
        return number
    }

    /// A whole number, zero or more.
    public static func count(_ value: String) throws -> Int {
        guard let number = Int(value), number >= 0 else { throw InvalidValue("must be a whole number, 0 or more") }
        return number
    }

    public static func logLevel(_ value: String) throws -> Logger.Level {
        guard let level = Logger.Level(rawValue: value.lowercased()) else {
            let names = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
            throw InvalidValue("must be one of \(names)")
        }
        return level
    }

    /// An absolute http(s) URL without a trailing slash.
    public static func httpURL(_ value: String) throws -> URL {
        guard let url = URL(string: value), let scheme = url.scheme?.lowercased(),
            scheme == "http" || scheme == "https", url.host?.isEmpty == false
        else { throw InvalidValue("must be an absolute http:// or https:// URL") }
        let text = url.absoluteString
        return text.hasSuffix("/") ? URL(string: String(text.dropLast()))! : url
    }

    /// A duration such as `30m`, `90s`, `2h`, `30d` or a bare number of seconds.
    public static func duration(_ value: String) throws -> Duration {
        guard let duration = parsedDuration(value), duration > .zero else {
            throw InvalidValue("must be a positive duration such as 90s, 30m, 2h or 30d")
        }
        return duration
    }

    /// A duration that may be zero (`0s`: at once), such as a grace period an operator turns off.
    public static func durationOrZero(_ value: String) throws -> Duration {
        guard let duration = parsedDuration(value) else {
            throw InvalidValue("must be a duration such as 0s, 15s, 2m or 1h")
        }
        return duration
    }

    private static func parsedDuration(_ value: String) -> Duration? {
        let units: [(String, Int64)] = [("ms", 0), ("s", 1), ("m", 60), ("h", 3600), ("d", 86_400)]
        for (suffix, seconds) in units where value.hasSuffix(suffix) {
            guard let number = Int64(value.dropLast(suffix.count)), number >= 0 else { return nil }
            return suffix == "ms" ? .milliseconds(number) : .seconds(number * seconds)
        }
        if let number = Int64(value), number >= 0 { return .seconds(number) }
        return nil
    }

    public static func oneOf<T: RawRepresentable & CaseIterable>(_ type: T.Type) -> (String) throws -> T
    where T.RawValue == String {
        { value in
            guard let parsed = T(rawValue: value.lowercased()) else {
                throw InvalidValue("must be one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return parsed
        }
    }
}

extension Parse {
    /// `PORTER_MENTION`: the word after `@`, letters, digits and dashes.
    public static func mention(_ value: String) throws -> String {
        let word = value.hasPrefix("@") ? String(value.dropFirst()) : value
        guard let first = word.first, first.isLetter || first.isNumber,
            word.allSatisfy({ ($0.isLetter || $0.isNumber || $0 == "-") && $0.isASCII })
        else { throw InvalidValue("must be a GitHub login-like word: letters, digits and dashes") }
        return word.lowercased()
    }

    /// `PORTER_ALLOWED_BOTS`: bot accounts whose commands count, comma-separated logins such as
    /// `renovate[bot]`, lower-cased.
    public static func botLogins(_ value: String) throws -> Set<String> {
        var logins: Set<String> = []
        for item in value.split(separator: ",") {
            let login = item.trimmingCharacters(in: .whitespaces)
            let name = login.hasSuffix("[bot]") ? login.dropLast(5) : Substring(login)
            guard let first = name.first, first.isLetter || first.isNumber,
                name.allSatisfy({ ($0.isLetter || $0.isNumber || $0 == "-") && $0.isASCII })
            else {
                throw InvalidValue(
                    "must be comma-separated GitHub logins, such as renovate[bot]: `\(login)` is not one")
            }
            logins.insert(login.lowercased())
        }
        return logins
    }

    /// `PORTER_SESSION_SECRET`: at least 32 bytes.
    public static func sessionSecret(_ value: String) throws -> Secret<String> {
        guard value.utf8.count >= 32 else { throw InvalidValue("must be at least 32 bytes long") }
        return Secret(value)
    }
}
