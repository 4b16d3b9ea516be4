import Foundation

/// How a worker says its attempt ended.
public enum WorkerOutcome: String, Sendable, Codable, CaseIterable {
    /// The agent finished and the branch holds its commits.
    case succeeded
    /// The agent finished without changing anything.
    case noChanges = "no_changes"
    /// The agent or a step of the worker failed.
    case failed
    /// The agent was stopped at the deadline; whatever it had done is pushed.
    case timedOut = "timed_out"

    /// Also accepted from the original product's payload.
    static let aliases: [String: WorkerOutcome] = [
        "success": .succeeded, "completed": .succeeded, "failure": .failed, "error": .failed,
        "timeout": .timedOut, "no-changes": .noChanges,
    ]

    public init?(reported: String) {
        let word = reported.lowercased()
        guard let outcome = WorkerOutcome(rawValue: word) ?? Self.aliases[word] else { return nil }
        self = outcome
    }
}

/// `POST /callbacks/complete`: what the worker reports at the end of its attempt.
public struct CompletionReport: Sendable, Equatable {
    public var taskID: UUID
    /// Nil in the original payload: the task's latest attempt.
    public var attempt: Int?
    public var outcome: WorkerOutcome
    public var branch: String?
    public var headSHA: String?
    public var summary: String?
    public var logTail: String?
    public var error: String?
    /// The failure was the worker's infrastructure (clone or push network errors, no spec), not the
    /// agent's: `failure_kind: "infrastructure"`.
    public var infrastructure: Bool
    /// A follow-up's: the pull request's branch moved while the agent worked, and its commits were
    /// rebased onto this commit before they were pushed.
    public var rebasedOnto: String?
    /// A follow-up's: the files where the agent's commits conflict with commits pushed meanwhile.
    public var conflictFiles: [String]
    /// A follow-up's: the branch its work went to instead of the pull request's (a conflict, a timeout).
    public var sideBranch: String?

    /// At most this many conflicting files are kept, each cut to `conflictFileLimit` characters.
    public static let conflictFilesLimit = 50
    public static let conflictFileLimit = 300

    public init(
        taskID: UUID, attempt: Int?, outcome: WorkerOutcome, branch: String? = nil, headSHA: String? = nil,
        summary: String? = nil, logTail: String? = nil, error: String? = nil, infrastructure: Bool = false,
        rebasedOnto: String? = nil, conflictFiles: [String] = [], sideBranch: String? = nil
    ) {
        self.taskID = taskID
        self.attempt = attempt
        self.outcome = outcome
        self.branch = branch
        self.headSHA = headSHA
        self.summary = summary
        self.logTail = logTail
        self.error = error
        self.infrastructure = infrastructure
        self.rebasedOnto = rebasedOnto
        self.conflictFiles = conflictFiles
        self.sideBranch = sideBranch
    }

    /// Reads the report, accepting the original product's field names beside the documented ones,
    /// and says exactly what is wrong with a report it cannot take.
    public static func parse(_ data: Data) throws(CallbackError) -> CompletionReport {
        let object = try CallbackFields(data)
        guard let idText = object.string("task_id", "taskId") else { throw .badRequest("task_id is required") }
        guard let taskID = UUID(uuidString: idText) else { throw .badRequest("task_id must be a UUID") }
        guard let statusText = object.string("status") else { throw .badRequest("status is required") }
        guard let outcome = WorkerOutcome(reported: statusText) else {
            let known = WorkerOutcome.allCases.map(\.rawValue).joined(separator: ", ")
            throw .badRequest("status must be one of \(known)")
        }
        let attempt = try object.integer("attempt")
        if let attempt, attempt < 1 || attempt > Int(Int32.max) {
            throw .badRequest("attempt must be between 1 and \(Int32.max)")
        }
        let head = try object.commit("head_sha", "commit_sha", "commitSha", "headSha")
        return CompletionReport(
            taskID: taskID, attempt: attempt, outcome: outcome, branch: object.string("branch", "branchName"),
            headSHA: head, summary: object.string("summary", "message"),
            logTail: object.string("log_tail", "logTail", "logs"), error: object.string("error", "errorMessage"),
            infrastructure: object.string("failure_kind") == "infrastructure",
            rebasedOnto: try object.commit("rebased_onto"), conflictFiles: try conflictFiles(object),
            sideBranch: object.string("side_branch"))
    }

    /// `conflict_files`: paths, storable and capped in number and length.
    static func conflictFiles(_ object: CallbackFields) throws(CallbackError) -> [String] {
        switch object.values["conflict_files"] {
        case nil, is NSNull: return []
        case let entries as [Any]:
            let paths = entries.compactMap { $0 as? String }.map { PromptBuilder.storable($0) }.filter { !$0.isEmpty }
            return paths.prefix(conflictFilesLimit).map { String($0.prefix(conflictFileLimit)) }
        default: throw .badRequest("conflict_files must be an array of paths")
        }
    }
}

/// `POST …/events`: one step of the worker's progress.
public struct ProgressReport: Sendable, Equatable {
    public static let phases: Set<String> = ["cloning", "agent", "committing", "pushing", "rebasing", "reporting"]

    public var phase: String
    public var message: String
    public var lines: [String]

    public init(phase: String, message: String = "", lines: [String] = []) {
        self.phase = phase
        self.message = message
        self.lines = lines
    }

    public static func parse(_ data: Data) throws(CallbackError) -> ProgressReport {
        let object = try CallbackFields(data)
        guard let phase = object.string("phase"), phases.contains(phase) else {
            throw .badRequest("phase must be one of \(phases.sorted().joined(separator: ", "))")
        }
        let lines = (object.values["lines"] as? [Any])?.compactMap { ($0 as? String).map(CallbackFields.clean) } ?? []
        // A timeline entry is a glimpse, not a log store: keep the last lines, each capped.
        return ProgressReport(
            phase: phase, message: String((object.string("message") ?? "").prefix(2_000)),
            lines: lines.suffix(40).map { String($0.prefix(500)) })
    }
}

/// The fields of a JSON object body, read leniently by name.
struct CallbackFields {
    let values: [String: Any]

    init(_ data: Data) throws(CallbackError) {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw .badRequest("the body must be a JSON object")
        }
        values = object
    }

    /// The first of `names` that holds a non-empty string.
    func string(_ names: String...) -> String? {
        for name in names {
            if let text = (values[name] as? String).map(Self.clean), !text.isEmpty { return text }
        }
        return nil
    }

    /// Without NUL characters, which PostgreSQL text cannot hold: a report carrying one would fail
    /// on every retry instead of landing.
    static func clean(_ text: String) -> String {
        text.contains("\u{0}") ? text.replacingOccurrences(of: "\u{0}", with: "") : text
    }

    /// The first of `names` as a commit id in lower case: 7 to 64 hexadecimal digits, or a 400 naming
    /// the first name.
    func commit(_ names: String...) throws(CallbackError) -> String? {
        guard let text = names.lazy.compactMap({ self.string($0) }).first else { return nil }
        guard (7...64).contains(text.count), text.allSatisfy(\.isHexDigit) else {
            throw .badRequest("\(names[0]) must be a hexadecimal commit id")
        }
        return text.lowercased()
    }

    func integer(_ name: String) throws(CallbackError) -> Int? {
        switch values[name] {
        case nil, is NSNull: return nil
        case let number as NSNumber:
            guard let value = Int(exactly: number.doubleValue) else { throw .badRequest("\(name) must be an integer") }
            return value
        case let text as String:
            guard let value = Int(text) else { throw .badRequest("\(name) must be an integer") }
            return value
        default: throw .badRequest("\(name) must be an integer")
        }
    }
}

/// Why callback-receiver refuses a request.
public enum CallbackError: Error, Equatable, CustomStringConvertible {
    /// The body or path cannot be read: 400.
    case badRequest(String)
    /// Wrong, unknown or expired token, or one for another task or attempt: 401, always the same words.
    case unauthorized
    /// The task no longer runs (cancelled, timed out, finished): 409.
    case notRunnable(String)
    /// Something on our side failed; the worker should try again: 503.
    case unavailable(String)

    public var description: String {
        switch self {
        case .badRequest(let reason): reason
        case .unauthorized: "invalid or expired task token"
        case .notRunnable(let reason): reason
        case .unavailable(let reason): reason
        }
    }
}
