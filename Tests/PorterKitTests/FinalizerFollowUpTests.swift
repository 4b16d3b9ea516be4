import Foundation
import Testing

@testable import PorterKit

/// A follow-up's report never opens a pull request and never sets a status label: commits on the
/// pull request's branch are its result, and work that could not go there is linked on its side branch.
@Suite struct FinalizerFollowUpTests {
    static let finalizer = Finalizer(
        publicURL: URL(string: "https://porter.example.com")!, webURL: URL(string: "https://github.example.com/")!,
        redactor: Redactor(knownSecrets: ["sk-ant-secret-0123456789"]))
    static let now = ISO8601DateFormatter().date(from: "2026-11-29T23:30:00Z")!
    static let work = "abc1234def5678abc1234def5678abc1234def56"

    static func task(
        kind: TaskKind = .followUp, instructions: String = "also cover logout", status: TaskStatus = .running
    ) -> PorterTask {
        PorterTask(
            id: UUID(uuidString: "6f1d2c3b-0000-4000-8000-00000000abcd")!,
            issue: IssueReference(
                installationID: 9, repositoryID: 77, repositoryFullName: "acme/widgets",
                number: kind == .followUp ? 2 : 1,
                isPullRequest: kind == .followUp),
            requester: Requester(id: 501, login: "alice"),
            request: TaskRequest(agent: .claude, instructions: instructions), status: status, statusReason: nil,
            triggerCommentID: 10, deliveryID: nil, retryOf: nil, createdAt: now.addingTimeInterval(-90),
            updatedAt: now, finishedAt: nil, kind: kind, followUpOf: nil, triggerCommentKind: .issueComment)
    }

    static let spec = TaskSpec(
        prompt: "", branch: "porter/issue-1-abc", baseBranch: "main", deadline: now.addingTimeInterval(600),
        keySource: "operator", issueTitle: "Fix the widget",
        followUp: TaskSpec.FollowUp(
            headSHA: "1111111aaaaaaa", sideBranch: "porter/issue-1-abc-followup-2", sequence: 2))

    static func decide(_ report: CompletionReport, task: PorterTask = task(), attempt: Int = 1) -> Finalization {
        finalizer.decide(CompletionContext(task: task), attempt: attempt, report: report, spec: spec, now: now)
    }

    static func report(
        _ outcome: WorkerOutcome, branch: String? = nil, sha: String? = nil, rebasedOnto: String? = nil,
        conflicts: [String] = [], side: String? = nil, error: String? = nil, infrastructure: Bool = false
    ) -> CompletionReport {
        CompletionReport(
            taskID: task().id, attempt: 1, outcome: outcome, branch: branch, headSHA: sha,
            summary: "Covered logout too. sk-ant-secret-0123456789", error: error, infrastructure: infrastructure,
            rebasedOnto: rebasedOnto, conflictFiles: conflicts, sideBranch: side)
    }

    /// The final status comment's body; none of the notices may open a pull request or set a label.
    static func comment(_ finalization: Finalization) throws -> String {
        #expect(!finalization.reply.pullRequest)
        for notice in finalization.notices {
            if case .openPullRequest = notice.effect { Issue.record("a follow-up opened a pull request") }
            if case .setLabels = notice.effect { Issue.record("a follow-up set a label") }
        }
        let bodies = finalization.notices.compactMap { notice -> String? in
            guard case .statusComment(let request) = notice.effect else { return nil }
            #expect(request.issueNumber == 2, "on the pull request")
            return request.body
        }
        #expect(bodies.count == 1)
        return try #require(bodies.first)
    }

    static func logEntries(_ finalization: Finalization) -> [FollowUpLogEntry] {
        finalization.notices.compactMap { notice in
            if case .appendFollowUpLog(let entry) = notice.effect { entry } else { nil }
        }
    }

    @Test func aPushToTheBranchSucceedsSaysWhereAndLogsOneLineOnThePullRequest() throws {
        let finalization = Self.decide(
            Self.report(
                .succeeded, branch: "porter/issue-1-abc", sha: Self.work,
                rebasedOnto: "def5678def5678def5678def5678def5678def56"))
        #expect(finalization.status == .succeeded)
        let body = try Self.comment(finalization)
        #expect(body.contains("✅ succeeded"))
        #expect(
            body.contains(
                "Pushed `abc1234` to `porter/issue-1-abc`, rebased onto `def5678` after new commits arrived."))
        #expect(body.contains("Covered logout too."))
        #expect(!body.contains("sk-ant-secret"), "the summary is redacted")

        let logs = finalization.notices.filter { $0.effect.kind == "append_follow_up_log" }
        #expect(logs.count == 1)
        #expect(logs.first?.dedupeKey == "task:6f1d2c3b-0000-4000-8000-00000000abcd:follow_up_log")
        #expect(logs.first?.replacing == false)
        let entry = try #require(Self.logEntries(finalization).first)
        #expect(entry.repositoryFullName == "acme/widgets")
        #expect(entry.pullNumber == 2)
        #expect(
            entry.line
                == "- 2026-11-29 · @alice · `claude` · `also cover logout` · `abc1234` · "
                + "[task](https://porter.example.com/tasks/6f1d2c3b-0000-4000-8000-00000000abcd) "
                + "<!-- porter:follow-up:6f1d2c3b-0000-4000-8000-00000000abcd -->")
    }

    @Test func withoutARebaseTheCommentSaysOnlyWhatWasPushed() throws {
        let body = try Self.comment(
            Self.decide(Self.report(.succeeded, branch: "porter/issue-1-abc", sha: Self.work)))
        #expect(body.contains("Pushed `abc1234` to `porter/issue-1-abc`."))
        #expect(!body.contains("rebased"))
    }

    @Test func theRequestInTheLogLineIsOneShortInertCodeSpan() throws {
        let request = "@bob fixes #3 <!-- porter:follow-up:x --> " + String(repeating: "long ", count: 40)
        let finalization = Self.decide(
            Self.report(.succeeded, branch: "porter/issue-1-abc", sha: Self.work),
            task: Self.task(instructions: request))
        let entry = try #require(Self.logEntries(finalization).first)
        #expect(entry.line.contains("· `@bob fixes #3 <! -- porter:follow-up:x --> long long"))
        #expect(entry.line.contains("…` · `abc1234`"))
        #expect(entry.line.components(separatedBy: "<!-- porter:follow-up:").count == 2, "one marker: the task's")
    }

    @Test func aConflictFailsNamingTheFilesAndLinkingTheSideBranch() throws {
        let files = ["Sources/App.swift", "weird `name`.md"] + (1...23).map { "file\($0).txt" }
        let finalization = Self.decide(
            Self.report(
                .failed, branch: "porter/issue-1-abc-followup-2", sha: Self.work, conflicts: files,
                side: "porter/issue-1-abc-followup-2",
                error: "the branch moved while the agent worked and its changes conflict in: …"))
        #expect(finalization.status == .failed)
        #expect(finalization.reason == "the branch moved while the agent worked; its changes conflict in 25 files")
        let body = try Self.comment(finalization)
        #expect(
            body.contains(
                "Someone pushed to `porter/issue-1-abc` while the agent worked, and its changes conflict in: "
                    + "`Sources/App.swift`, ``weird `name`.md``, `file1.txt`"))
        #expect(body.contains("`file18.txt`, and 5 more."))
        #expect(!body.contains("file19.txt"))
        #expect(
            body.contains(
                "The agent's work is on [`porter/issue-1-abc-followup-2`]"
                    + "(https://github.example.com/acme/widgets/tree/porter/issue-1-abc-followup-2)."))
        #expect(body.contains("@porter retry"))
    }

    @Test func aTimeoutLinksThePartialWorkOnTheSideBranch() throws {
        let finalization = Self.decide(
            Self.report(
                .timedOut, branch: "porter/issue-1-abc-followup-2-1", sha: Self.work,
                side: "porter/issue-1-abc-followup-2-1"))
        #expect(finalization.status == .timedOut)
        let body = try Self.comment(finalization)
        #expect(body.contains("⌛ timed out"))
        #expect(
            body.contains(
                "Its partial work is on [`porter/issue-1-abc-followup-2-1`]"
                    + "(https://github.example.com/acme/widgets/tree/porter/issue-1-abc-followup-2-1); "
                    + "nothing was pushed to `porter/issue-1-abc`."))
    }

    @Test func aSideBranchNamedOnlyAsTheBranchIsStillASideBranch() throws {
        let finalization = Self.decide(
            Self.report(.timedOut, branch: "porter/issue-1-abc-followup-2", sha: Self.work))
        #expect(try Self.comment(finalization).contains("/tree/porter/issue-1-abc-followup-2)"))
    }

    @Test func noChangesTimeoutsWithoutWorkAndOtherFailuresEndAsForIssuesWithoutLabels() throws {
        let none = Self.decide(Self.report(.noChanges))
        #expect(none.status == .failed)
        #expect(try Self.comment(none).contains("without changing anything"))

        let late = Self.decide(Self.report(.timedOut))
        #expect(late.status == .timedOut)
        #expect(try Self.comment(late).contains("before changing anything"))

        let failed = Self.decide(Self.report(.failed, error: "the agent crashed"))
        #expect(failed.status == .failed)
        #expect(try Self.comment(failed).contains("The task failed: the agent crashed"))

        let rewritten = Self.decide(
            Self.report(
                .failed, branch: "porter/issue-1-abc-followup-2", sha: Self.work, side: "porter/issue-1-abc-followup-2",
                error: "the agent rewrote the branch's history"))
        #expect(try Self.comment(rewritten).contains("The agent's work is on [`porter/issue-1-abc-followup-2`]"))

        let unpushed = Self.decide(Self.report(.succeeded))
        #expect(unpushed.status == .failed)
        #expect(unpushed.reason == "the worker reported success without a pushed branch")
    }

    @Test func anInfrastructureFailureRetriesWithoutLabels() throws {
        let retry = Self.decide(Self.report(.failed, error: "clone failed", infrastructure: true))
        #expect(retry.retry)
        #expect(retry.status == .dispatching)
        #expect(try Self.comment(retry).contains("🔁 retrying"))
    }

    @Test func aStoppedFollowUpIsCancelledWithoutALabel() throws {
        let finalization = Self.finalizer.decide(
            CompletionContext(task: Self.task(), cancelRequested: true), attempt: 1,
            report: Self.report(.succeeded, branch: "porter/issue-1-abc", sha: Self.work), spec: Self.spec,
            now: Self.now)
        #expect(finalization.status == .cancelled)
        #expect(try Self.comment(finalization).contains("🛑 cancelled"))
    }

    @Test func anIssueTaskStillOpensItsPullRequestAndSetsItsLabel() {
        let issueSpec = TaskSpec(
            prompt: "", branch: "porter/issue-1-abc", baseBranch: "main", deadline: Self.now, keySource: "operator")
        let finalization = Self.finalizer.decide(
            CompletionContext(task: Self.task(kind: .issue)), attempt: 1,
            report: Self.report(.succeeded, branch: "porter/issue-1-abc", sha: Self.work), spec: issueSpec,
            now: Self.now)
        #expect(finalization.status == .succeeded)
        #expect(finalization.reply.pullRequest)
        #expect(finalization.notices.map(\.effect.kind) == ["set_labels", "open_pull_request"])
    }

    @Test func theAcceptedSideBranchesAreTheSpecsAndItsAttemptVariant() {
        var spec = Self.spec
        #expect(
            spec.acceptedSideBranches(attempt: 3)
                == ["porter/issue-1-abc-followup-2", "porter/issue-1-abc-followup-2-3"])
        // After a report recorded the fallback name, the planned one is still accepted.
        spec.followUp?.sideBranch = "porter/issue-1-abc-followup-2-1"
        #expect(spec.acceptedSideBranches(attempt: 1).contains("porter/issue-1-abc-followup-2"))
        #expect(spec.acceptedSideBranches(attempt: 1).contains("porter/issue-1-abc-followup-2-1"))
        #expect(!spec.acceptedSideBranches(attempt: 1).contains("main"))
    }
}
