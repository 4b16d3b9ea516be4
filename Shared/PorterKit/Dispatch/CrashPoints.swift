import Foundation

/// Fault injection for crash tests: at a named point in the dispatch path the process kills itself
/// with SIGKILL, with the configured probability. Configured only through
/// `PORTER_FAULT_CRASH_POINTS` (`after_claim=0.02,create_in_flight=0.02,...`); empty by default.
public struct CrashPoints: Sendable {
    public enum Point: String, Sendable, CaseIterable {
        /// The claim has committed; nothing else happened yet.
        case afterClaim = "after_claim"
        /// The attempt row is written; the Machine is not created yet.
        case afterAttempt = "after_attempt"
        /// The create request is on its way to Fly, its answer not yet back.
        case createInFlight = "create_in_flight"
        /// Fly answered the create; the attempt does not record the Machine yet.
        case afterCreate = "after_create"
    }

    let probabilities: [Point: Double]

    public static let none = CrashPoints(probabilities: [:])

    public init(probabilities: [Point: Double]) { self.probabilities = probabilities }

    public var isEmpty: Bool { probabilities.isEmpty }

    /// Parses `name=probability[,name=probability…]`.
    public static func parse(_ text: String) throws -> CrashPoints {
        var probabilities: [Point: Double] = [:]
        for entry in text.split(separator: ",") {
            let parts = entry.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, let point = Point(rawValue: parts[0]), let probability = Double(parts[1]),
                (0...1).contains(probability)
            else {
                throw InvalidValue(
                    "must be name=probability pairs with names \(Point.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            probabilities[point] = probability
        }
        return CrashPoints(probabilities: probabilities)
    }

    /// Maybe dies here.
    public func hit(_ point: Point) {
        guard let probability = probabilities[point], Double.random(in: 0..<1) < probability else { return }
        // Said on stderr first, so a crash test can tell which point each death came from.
        FileHandle.standardError.write(Data("crash point \(point.rawValue)\n".utf8))
        kill(getpid(), SIGKILL)
    }

    /// Runs `operation`, and maybe dies while it is in flight (after `delay`).
    public func during<T: Sendable>(
        _ point: Point, after delay: Duration = .milliseconds(5), _ operation: () async throws -> T
    ) async throws -> T {
        guard probabilities[point] != nil else { return try await operation() }
        let crash = Task {
            try await Task.sleep(for: delay)
            hit(point)
        }
        defer { crash.cancel() }
        return try await operation()
    }
}
