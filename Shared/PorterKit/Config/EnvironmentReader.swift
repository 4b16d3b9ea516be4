/// Reads variables from an environment dictionary, collecting every problem instead of stopping at
/// the first, so an operator fixes a deployment in one pass.
public struct EnvironmentReader: Sendable {
    public let environment: [String: String]
    public private(set) var problems: [ConfigurationError.Problem] = []

    public init(_ environment: [String: String]) { self.environment = environment }

    /// The trimmed value, or nil when the variable is unset or blank.
    public func raw(_ name: String) -> String? {
        guard let value = environment[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty
        else { return nil }
        return value
    }

    /// A variable that must be present; records a problem and returns nil when it is missing or malformed.
    public mutating func required<T>(_ name: String, _ parse: (String) throws -> T) -> T? {
        guard let value = raw(name) else {
            problems.append(.init(variable: name, reason: "is required but not set"))
            return nil
        }
        return parsed(name, value, parse)
    }

    /// A variable that may be absent; returns nil when absent, records a problem when malformed.
    public mutating func optional<T>(_ name: String, _ parse: (String) throws -> T) -> T? {
        guard let value = raw(name) else { return nil }
        return parsed(name, value, parse)
    }

    /// A variable with a default used when it is absent; a malformed value is a problem, not the default.
    public mutating func optional<T>(_ name: String, default defaultValue: T, _ parse: (String) throws -> T) -> T {
        guard let value = raw(name) else { return defaultValue }
        return parsed(name, value, parse) ?? defaultValue
    }

    /// Records a problem found by a check across several variables.
    public mutating func report(_ name: String, _ reason: String) {
        problems.append(.init(variable: name, reason: reason))
    }

    /// Throws one error naming every problem recorded so far.
    public func validate() throws(ConfigurationError) {
        if !problems.isEmpty { throw ConfigurationError(problems: problems) }
    }

    private mutating func parsed<T>(_ name: String, _ value: String, _ parse: (String) throws -> T) -> T? {
        do {
            return try parse(value)
        } catch let error as InvalidValue {
            problems.append(.init(variable: name, reason: error.reason))
        } catch {
            problems.append(.init(variable: name, reason: "is malformed"))
        }
        return nil
    }
}
