/// The flags a run command takes.
enum Flag: String, CaseIterable {
    case model, priority, draft, ready, base

    var takesValue: Bool { self == .model || self == .priority || self == .base }

    /// Sets the option; returns the problem when the value is unusable.
    func apply(_ value: String?, to options: inout RunOptions) -> CommandProblem? {
        switch self {
        case .draft, .ready:
            if let value, !value.isEmpty { return .invalidValue(flag: rawValue, value: value, expected: "no value") }
            options.draft = self == .draft
        case .model:
            guard let value, !value.isEmpty else { return .missingValue(flag: rawValue) }
            guard value.count <= 100, value.allSatisfy({ $0.isASCII && !$0.isWhitespace && $0 != "`" }) else {
                return .invalidValue(
                    flag: rawValue, value: String(value.prefix(40)), expected: "a model id such as `opus`")
            }
            options.model = value
        case .priority:
            guard let value, !value.isEmpty else { return .missingValue(flag: rawValue) }
            guard let priority = TaskPriority(rawValue: value.lowercased()) else {
                return .invalidValue(
                    flag: rawValue, value: String(value.prefix(40)), expected: "`low`, `normal` or `high`")
            }
            options.priority = priority
        case .base:
            guard let value, !value.isEmpty else { return .missingValue(flag: rawValue) }
            guard Self.isBranchName(value) else {
                return .invalidValue(flag: rawValue, value: String(value.prefix(40)), expected: "a branch name")
            }
            options.baseBranch = value
        }
        return nil
    }

    /// The subset of git's ref-name rules that matter for a branch handed to `git clone --branch`.
    static func isBranchName(_ name: String) -> Bool {
        guard name.count <= 200, !name.hasPrefix("-"), !name.hasPrefix("/"), !name.hasSuffix("/"),
            !name.hasSuffix(".lock"), !name.contains(".."), !name.contains("//"), !name.contains("@{")
        else { return false }
        return name.unicodeScalars.allSatisfy { scalar in
            scalar.value > 0x20 && scalar.value != 0x7F && !" ~^:?*[\\".unicodeScalars.contains(scalar)
        }
    }
}
