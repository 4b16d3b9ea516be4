/// Every missing or malformed environment variable found while loading a service's configuration.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// One variable that could not be used, and why.
    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        public let variable: String
        public let reason: String

        public init(variable: String, reason: String) {
            self.variable = variable
            self.reason = reason
        }

        public var description: String { "\(variable): \(reason)" }
    }

    public let problems: [Problem]

    public init(problems: [Problem]) { self.problems = problems }

    /// The names of the variables at fault, in the order they were read.
    public var variables: [String] { problems.map(\.variable) }

    public var description: String {
        let lines = problems.map { "  - \($0)" }.joined(separator: "\n")
        return "configuration is invalid (\(problems.count) problem\(problems.count == 1 ? "" : "s")):\n\(lines)"
    }
}

/// Thrown by a value parser: the reason a variable's value is unusable. Never includes the value.
public struct InvalidValue: Error, Sendable, CustomStringConvertible {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}
