import Foundation

/// The payload of a `control` job: what was asked, where, by whom, and in which delivery.
public struct ControlRequest: Codable, Sendable, Equatable {
    public var verb: ControlVerb
    public var context: IssueContext
    /// The webhook delivery that carried the command: a retry's task is created once per delivery, and
    /// replies are posted once per delivery, however often the job runs.
    public var deliveryID: String?

    public init(verb: ControlVerb, context: IssueContext, deliveryID: String?) {
        self.verb = verb
        self.context = context
        self.deliveryID = deliveryID
    }
}

/// The payload of a `cancel` job.
public struct CancelOrder: Codable, Sendable, Equatable {
    /// What the task was cancelled for, as its status comment says it: "stopped by @alice",
    /// "the issue was closed".
    public var reason: String
    /// The task was still queued and is cancelled already: only its status comment and label are left.
    public var finalizeOnly: Bool

    public init(reason: String, finalizeOnly: Bool) {
        self.reason = reason
        self.finalizeOnly = finalizeOnly
    }
}
