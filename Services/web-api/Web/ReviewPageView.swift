import Foundation
import PorterKit

/// `/review`: the queue's view model, and each row as `GET /api/review` answers it. Templates see
/// stored properties only, so every field the page shows is stored.
struct ReviewQueueView {
    var page: Chrome
    var items: [Item]
    var hasItems: Bool

    init(page: Chrome, items: [Item]) {
        self.page = page
        self.items = items
        hasItems = !items.isEmpty
    }

    struct Item {
        var pull: ReviewedPullRequest
        var signals: ReviewSignals?
        /// Why GitHub's side is missing, when it is.
        var problem: String?
        /// Whether GitHub described it.
        var known: Bool
        /// What GitHub could not describe comes last.
        var rank: Int
        var openedAt: Date
        var taskID: String
        var title: String
        var age: String
        var opened: String
        var openedISO: String
        var label: String
        var style: String
        var additions: Int?
        var deletions: Int?
        var files: Int?
        var hasSize: Bool
        var filesLabel: String
        var checks: String
        var checksStyle: String
        var review: String

        init(_ pull: ReviewedPullRequest, signals: ReviewSignals?, problem: String?) {
            self.pull = pull
            self.signals = signals
            self.problem = problem
            known = signals != nil
            rank = signals?.readiness.rawValue ?? 9
            openedAt = pull.openedAt
            taskID = pull.taskID.uuidString.lowercased()
            title = signals?.pull.title ?? pull.issueTitle ?? "Pull request #\(pull.number)"
            age = DisplayTime.age(pull.openedAt)
            opened = DisplayTime.recent(pull.openedAt)
            openedISO = DisplayTime.iso(pull.openedAt)
            label = signals?.label ?? "Unknown"
            style = signals?.style ?? ""
            additions = signals?.pull.additions
            deletions = signals?.pull.deletions
            files = signals?.pull.changedFiles
            hasSize = files != nil
            filesLabel = files.map { $0 == 1 ? "1 file" : "\($0) files" } ?? ""
            checks = signals.map { Self.checksLabel($0.checks) } ?? "—"
            checksStyle =
                switch signals?.checks {
                case .passing?: "ok"
                case .failing?: "bad"
                case .pending?: "warn"
                default: ""
                }
            review =
                switch signals?.verdict {
                case .approved?: "Approved"
                case .changesRequested?: "Changes requested"
                case .none?: "No review yet"
                case nil: "—"
                }
        }

        static func checksLabel(_ checks: ReviewSignals.Checks) -> String {
            switch checks {
            case .passing: "Checks pass"
            case .failing: "Checks fail"
            case .pending: "Checks running"
            case .none: "No checks"
            }
        }

        var json: QueueJSON {
            QueueJSON(
                taskId: taskID, repository: pull.repository, number: pull.number, title: title, url: pull.url,
                agent: pull.agent, model: pull.model, requester: pull.requester, openedAt: pull.openedAt,
                draft: signals?.pull.draft, additions: additions, deletions: deletions, changedFiles: files,
                checks: signals?.checks.rawValue, review: signals?.verdict.rawValue,
                mergeable: signals?.pull.mergeable, mergeableState: signals?.pull.mergeableState,
                readiness: signals.map { "\($0.readiness)" }, label: label, problem: problem)
        }
    }

    struct QueueJSON: Encodable {
        var taskId: String
        var repository: String
        var number: Int
        var title: String
        var url: String?
        var agent: String
        var model: String?
        var requester: String
        var openedAt: Date
        var draft: Bool?
        var additions: Int?
        var deletions: Int?
        var changedFiles: Int?
        var checks: String?
        var review: String?
        var mergeable: Bool?
        var mergeableState: String?
        /// `ready`, `checksRunning`, `draft` or `needsWork`; null when GitHub did not answer.
        var readiness: String?
        var label: String
        var problem: String?
    }
}

/// `/review/<task id>`: one pull request with its diff, checks and actions.
struct ReviewPageView {
    /// What an action just did, said at the top of the page after it.
    enum Outcome: String {
        case ready, merged, closed
        case closedBranchKept = "closed-branch-kept"
        case closedWithoutComment = "closed-without-comment"
        case changesRequested = "changes"

        var message: String {
            switch self {
            case .ready: "Marked ready for review."
            case .merged: "Merged."
            case .closed: "Closed, with your reason on the pull request."
            case .closedBranchKept: "Closed, with your reason on the pull request. GitHub did not delete the branch."
            case .closedWithoutComment:
                "Closed. GitHub did not take the comment with your reason; Porter keeps it with the task."
            case .changesRequested: "Changes requested: a follow-up task is on its way to the same branch."
            }
        }
    }

    /// Diffs past this many lines in all are left to GitHub.
    static let lineBudget = 20_000

    var page: Chrome
    var taskID: String
    var repository: String
    var number: Int
    var title: String
    var url: String?
    var filesURL: String?
    var agent: String
    var model: String?
    var requester: String
    var summary: String?
    var state: String
    var label: String
    var style: String
    var draft: Bool
    var headSHA: String
    var shortSHA: String
    var branch: String
    var base: String
    var additions: Int
    var deletions: Int
    /// "1 file", "3 files".
    var filesLabel: String
    var canWrite: Bool
    var isOpen: Bool
    var split: Bool
    var outcome: String?
    var problem: String?
    var checks: [Check]
    var hasChecks: Bool
    var methods: [Method]
    var files: [File]
    var hiddenFiles: Int
    var hasHiddenFiles: Bool
    /// What was typed into a form whose action failed, shown again with the reason.
    var typedBody = ""
    var typedReason = ""
    var changesOpen = false
    var closeOpen = false
    var followUps: [FollowUp]
    var hasFollowUps: Bool
    var requestID = UUID().uuidString.lowercased()

    struct Check {
        var name: String
        var state: String
        var style: String
        var link: String?
        var detail: String?
    }

    struct Method {
        var value: String
        var label: String
        var selected: Bool
    }

    struct FollowUp {
        var id: String
        var status: String
        var statusLabel: String
        var style: String
        var created: String
        var live: Bool
    }

    struct File {
        var anchor: String
        var filename: String
        var previousFilename: String?
        var status: String
        var additions: Int
        var deletions: Int
        var binary: Bool
        /// No patch and not binary: GitHub left a very large diff out.
        var tooLarge: Bool
        /// Shown only on GitHub: the page's line budget was spent.
        var cut: Bool
        var blobURL: String?
        var unified: [ReviewDiff.UnifiedRow]
        var split: [ReviewDiff.SplitRow]
        var hasUnified: Bool
        var hasSplit: Bool
    }

    init(page: Chrome, loaded: ReviewController.Loaded, split: Bool, outcome: Outcome?, problem: String?) {
        let pull = loaded.signals.pull
        self.page = page
        taskID = loaded.pull.taskID.uuidString.lowercased()
        repository = loaded.pull.repository
        number = pull.number
        title = pull.title
        url = pull.htmlUrl
        filesURL = pull.htmlUrl + "/files"
        agent = loaded.pull.agent
        model = loaded.pull.model
        requester = loaded.pull.requester
        summary = loaded.summary?.nilIfEmpty
        state = pull.mergedAt != nil || pull.merged == true ? "merged" : pull.state
        isOpen = pull.state == "open"
        label = isOpen ? loaded.signals.label : state == "merged" ? "Merged" : "Closed"
        style = isOpen ? loaded.signals.style : state == "merged" ? "ok" : ""
        draft = pull.draft == true
        headSHA = pull.head.sha
        shortSHA = String(pull.head.sha.prefix(7))
        branch = pull.head.ref
        base = pull.base.ref
        canWrite = loaded.permission.canWrite
        self.split = split
        self.outcome = outcome?.message
        self.problem = problem
        checks = loaded.signals.headChecks.map {
            Check(
                name: $0.name, state: $0.state.replacingOccurrences(of: "_", with: " "), style: Self.style($0.state),
                link: $0.url, detail: $0.detail)
        }
        hasChecks = !checks.isEmpty
        let labels: [GitHubMergeMethod: String] = [
            .squash: "Squash and merge", .merge: "Create a merge commit", .rebase: "Rebase and merge",
        ]
        methods = (loaded.repository?.mergeMethods ?? GitHubMergeMethod.allCases).enumerated().map { index, method in
            Method(value: method.rawValue, label: labels[method] ?? method.rawValue, selected: index == 0)
        }
        var budget = Self.lineBudget
        var files: [File] = []
        var added = 0
        var removed = 0
        for (index, file) in loaded.files.enumerated() {
            added += file.additions ?? 0
            removed += file.deletions ?? 0
            let diff = file.patch.map(ReviewDiff.init(patch:))
            let lines = diff?.lines.count ?? 0
            let cut = lines > budget
            if !cut { budget -= lines }
            let binary = file.isBinary
            let unified = cut || split ? [] : diff?.unified ?? []
            let sideBySide = cut || !split ? [] : diff?.split ?? []
            files.append(
                File(
                    anchor: "file-\(index + 1)", filename: file.filename, previousFilename: file.previousFilename,
                    status: file.status, additions: file.additions ?? 0, deletions: file.deletions ?? 0,
                    binary: binary, tooLarge: file.patch == nil && !binary && (file.changes ?? 0) > 0, cut: cut,
                    blobURL: file.blobUrl, unified: unified, split: sideBySide, hasUnified: !unified.isEmpty,
                    hasSplit: !sideBySide.isEmpty))
        }
        self.files = files
        hiddenFiles = files.filter(\.cut).count
        hasHiddenFiles = hiddenFiles > 0
        additions = pull.additions ?? added
        deletions = pull.deletions ?? removed
        let fileCount = pull.changedFiles ?? loaded.files.count
        filesLabel = fileCount == 1 ? "1 file" : "\(fileCount) files"
        followUps = loaded.followUps.map { task in
            FollowUp(
                id: task.id.uuidString.lowercased(), status: task.status.rawValue,
                statusLabel: TaskRow.label(task.status), style: TaskRow.style(task.status),
                created: DisplayTime.full(task.createdAt), live: !task.status.isTerminal)
        }
        hasFollowUps = !followUps.isEmpty
    }

    static func style(_ state: String) -> String {
        switch state {
        case "success", "neutral", "skipped": "ok"
        case "failure", "error", "cancelled", "timed_out", "action_required", "startup_failure", "stale": "bad"
        default: "warn"
        }
    }
}

/// `GET /api/review/<task id>`.
struct ReviewJSON: Encodable {
    struct File: Encodable {
        var filename: String
        var previousFilename: String?
        var status: String
        var additions: Int?
        var deletions: Int?
        var patch: String?
        var binary: Bool
    }

    struct Check: Encodable {
        var name: String
        var kind: String
        var state: String
        var url: String?
    }

    var taskId: String
    var repository: String
    var number: Int
    var title: String
    var url: String
    var state: String
    var draft: Bool
    var headSha: String
    var branch: String
    var base: String
    var mergeable: Bool?
    var mergeableState: String?
    var checks: String
    var review: String
    var readiness: String
    var label: String
    var canWrite: Bool
    var mergeMethods: [String]
    var summary: String?
    var agent: String
    var model: String?
    var files: [File]
    var checkRuns: [Check]
    var followUpTaskIds: [String]

    init(_ loaded: ReviewController.Loaded) {
        let pull = loaded.signals.pull
        taskId = loaded.pull.taskID.uuidString.lowercased()
        repository = loaded.pull.repository
        number = pull.number
        title = pull.title
        url = pull.htmlUrl
        state = pull.mergedAt != nil || pull.merged == true ? "merged" : pull.state
        draft = pull.draft == true
        headSha = pull.head.sha
        branch = pull.head.ref
        base = pull.base.ref
        mergeable = pull.mergeable
        mergeableState = pull.mergeableState
        checks = loaded.signals.checks.rawValue
        review = loaded.signals.verdict.rawValue
        readiness = "\(loaded.signals.readiness)"
        label = loaded.signals.label
        canWrite = loaded.permission.canWrite
        mergeMethods = (loaded.repository?.mergeMethods ?? GitHubMergeMethod.allCases).map(\.rawValue)
        summary = loaded.summary
        agent = loaded.pull.agent
        model = loaded.pull.model
        files = loaded.files.map { file in
            File(
                filename: file.filename, previousFilename: file.previousFilename, status: file.status,
                additions: file.additions, deletions: file.deletions, patch: file.patch,
                binary: file.isBinary)
        }
        checkRuns = loaded.signals.headChecks.map { Check(name: $0.name, kind: $0.kind, state: $0.state, url: $0.url) }
        followUpTaskIds = loaded.followUps.map { $0.id.uuidString.lowercased() }
    }
}
