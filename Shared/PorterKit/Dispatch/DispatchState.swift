import Foundation

/// What the dispatcher knows of a task when it picks up its job, beyond the task itself.
public struct DispatchState: Sendable {
    public var task: PorterTask
    /// The requester's permission, once checked; nil before.
    public var authorizedPermission: String?
    /// The task spec, once built.
    public var spec: TaskSpec?
    public var cancelRequested: Bool
    /// The App's installation is known to be suspended or removed: nothing may be done with it.
    public var installationInactive: Bool
    /// Whether the requester has a Porter account (signed in at least once).
    public var requesterHasAccount: Bool
    /// The Fly app of an attempt begun but not yet running (a crash or an outage interrupted it).
    public var openAttemptApp: String?
    /// Another task on the same issue is dispatching or running: the issue's labels are its to set.
    public var otherActiveOnIssue: Bool
    /// The requester's own Fly app and org from their settings.
    public var requesterFlyApp: String?
    public var requesterFlyOrg: String?
    /// Where on its pull request a follow-up was asked for; nil for an issue task.
    public var followUp: FollowUpRequest? = nil
}

/// What a worker is told to do: built once by the dispatcher, served to the worker by callback-receiver.
public struct TaskSpec: Sendable, Equatable {
    public var prompt: String
    public var branch: String
    public var baseBranch: String
    public var deadline: Date
    /// Whose provider keys the agent runs on: `user` or `operator`.
    public var keySource: String
    /// The issue's title when the spec was built: the pull request's title and commit message (for a
    /// follow-up, the pull request's title).
    public var issueTitle: String
    /// For a follow-up: `branch` is the pull request's head branch and `baseBranch` its base.
    public var followUp: FollowUp?

    /// What a follow-up's worker needs beyond an issue task's spec.
    public struct FollowUp: Sendable, Equatable {
        /// The head commit the spec was built on; the worker says so when the branch moved since.
        public var headSHA: String
        /// Where the agent's work goes when it cannot go on the branch: a conflict or a timeout.
        public var sideBranch: String
        /// The follow-up's 1-based place among its pull request's follow-ups, in the side branch's name.
        public var sequence: Int

        public init(headSHA: String, sideBranch: String, sequence: Int) {
            self.headSHA = headSHA
            self.sideBranch = sideBranch
            self.sequence = sequence
        }

        /// The stored columns of a follow-up whose spec was built; nil when any is missing.
        public init?(headSHA: String?, sideBranch: String?, sequence: Int?) {
            guard let headSHA, let sideBranch, let sequence else { return nil }
            self.init(headSHA: headSHA, sideBranch: sideBranch, sequence: sequence)
        }

        /// `<head>-followup-<n>`.
        public static func sideBranch(head: String, sequence: Int) -> String { "\(head)-followup-\(sequence)" }
    }

    public init(
        prompt: String, branch: String, baseBranch: String, deadline: Date, keySource: String, issueTitle: String = "",
        followUp: FollowUp? = nil
    ) {
        self.prompt = prompt
        self.branch = branch
        self.baseBranch = baseBranch
        self.deadline = deadline
        self.keySource = keySource
        self.issueTitle = issueTitle
        self.followUp = followUp
    }

    /// `porter/issue-<n>-<first 8 of the task id>`: unique per task, readable in the branch list.
    public static func branchName(taskID: UUID, issue: Int) -> String {
        "porter/issue-\(issue)-\(taskID.uuidString.lowercased().prefix(8))"
    }
}
