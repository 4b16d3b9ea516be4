import Foundation

/// What `GET …/spec` gives a worker: everything it needs to do the task, served only to the holder of
/// the attempt's token while the task still runs.
public struct WorkerSpec: Encodable, Sendable {
    public struct Commit: Encodable, Sendable {
        public var message: String
        public var authorName: String
        public var authorEmail: String
        /// `login <id+login@users.noreply.github.com>`: the requester, credited on the commit.
        public var coAuthor: String?
    }

    public struct Issue: Encodable, Sendable {
        public var number: Int
        public var title: String
    }

    /// `issue`: clone the base, work on a new branch, push it. `follow_up`: clone `branch` (the pull
    /// request's head) at its current commit and push on top of it, never forced.
    public enum Mode: String, Encodable, Sendable {
        case issue
        case followUp = "follow_up"
    }

    /// What a follow-up's worker needs beyond `branch` and `base_branch`.
    public struct FollowUp: Encodable, Sendable {
        /// The head commit the prompt was built on.
        public var headSha: String
        /// Where the agent's commits go when they cannot go on `branch`: they conflict with commits
        /// pushed meanwhile, or the task ran out of time. The worker adds `-<attempt>` when it exists.
        public var sideBranch: String
    }

    /// Lower case, as every address and log line of Porter spells a task id.
    public var taskId: String
    public var attempt: Int
    public var agent: String
    public var model: String?
    public var prompt: String
    public var repository: String
    public var cloneUrl: String
    public var baseBranch: String
    public var branch: String
    public var deadline: Date
    /// Reads and writes this one repository only; for the clone and the push, never the agent.
    public var gitToken: String
    /// Provider keys, for the agent's environment.
    public var env: [String: String]
    public var commit: Commit
    public var issue: Issue
    public var mode: Mode = .issue
    public var followUp: FollowUp? = nil
}

extension WorkerSpec: CustomStringConvertible {
    public var description: String { "WorkerSpec(task: \(taskId), attempt: \(attempt), <secrets redacted>)" }
}
