/// The parts of GitHub webhook payloads Porter reads. Every field GitHub may omit is optional, so a
/// payload with an unexpected shape is ignored with a reason instead of failing the delivery.
public enum WebhookPayload {
    public struct Account: Decodable, Sendable {
        public var id: Int64
        public var login: String
        public var type: String?
    }

    public struct Installation: Decodable, Sendable {
        public var id: Int64
        public var account: Account?
        public var repositorySelection: String?
    }

    public struct Repository: Decodable, Sendable {
        public var id: Int64
        public var fullName: String
        public var `private`: Bool?
    }

    public struct App: Decodable, Sendable {
        public var id: Int64
        public var slug: String?
    }

    public struct Comment: Decodable, Sendable {
        public var id: Int64
        public var body: String?
        public var user: Account?
        public var performedViaGithubApp: App?
    }

    public struct Issue: Decodable, Sendable {
        public var number: Int
        public var title: String?
        public var state: String?
        public var locked: Bool?
        /// Present (with URLs) when the issue is a pull request.
        public var pullRequest: PullRequestLink?
    }

    public struct PullRequestLink: Decodable, Sendable {
        public var url: String?
    }

    /// The envelope every event shares.
    public struct Envelope: Decodable, Sendable {
        public var action: String?
        public var installation: Installation?
        public var repository: Repository?
        public var sender: Account?
        public var comment: Comment?
        public var issue: Issue?
        public var repositories: [Repository]?
        public var repositoriesAdded: [Repository]?
        public var repositoriesRemoved: [Repository]?
    }
}
