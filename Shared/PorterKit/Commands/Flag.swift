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
            guard RunOptions.isModelID(value) else {
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
            guard RunOptions.isBranchName(value) else {
                return .invalidValue(flag: rawValue, value: String(value.prefix(40)), expected: "a branch name")
            }
            options.baseBranch = value
        }
        return nil
    }
}

extension RunOptions {
    /// What `--model` takes: one word of printable ASCII, at most 100 characters, no backtick.
    public static func isModelID(_ value: String) -> Bool {
        !value.isEmpty && value.count <= 100
            && value.allSatisfy { character in
                character.asciiValue.map { $0 > 0x20 && $0 < 0x7F } == true && character != "`"
            }
    }

    /// The subset of git's ref-name rules that matter for a branch handed to `git clone --branch`.
    public static func isBranchName(_ name: String) -> Bool {
        guard name.count <= 200, !name.hasPrefix("-"), !name.hasPrefix("/"), !name.hasSuffix("/"),
            !name.hasSuffix(".lock"), !name.contains(".."), !name.contains("//"), !name.contains("@{")
        else { return false }
        return name.unicodeScalars.allSatisfy { scalar in
            scalar.value > 0x20 && scalar.value != 0x7F && !" ~^:?*[\\".unicodeScalars.contains(scalar)
        }
    }
}
