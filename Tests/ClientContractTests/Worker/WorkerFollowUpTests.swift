import Foundation
import PorterEmulators
import PorterKit
import PorterTestSupport
import Testing

/// The real worker entrypoint in `follow_up` mode, on Porter's pull request #2 (branch
/// `porter/issue-1-abc`, which adds `fix.txt`): it adds the agent's commits on top of the branch,
/// rebases them onto commits someone pushed meanwhile, and sends to the side branch what cannot go
/// on the pull request: a conflict, a rewritten history, a timeout. It never forces a push.
@Suite struct WorkerFollowUpTests {
    static let owner = GitHubWorld.owner
    static let repo = GitHubWorld.repo
    static let head = "porter/issue-1-abc"
    static let side = "porter/issue-1-abc-followup-1"

    /// A follow-up on Porter's pull request whose agent is `script`, dispatched until its worker started.
    struct FollowUp {
        var task: UUID
        var pull: Int
        /// The pull request's head commit when the follow-up was asked for.
        var head: String
    }

    static func followUp(
        _ world: CallbackWorld, script: String, options: CallbackWorld.Options = CallbackWorld.Options()
    ) async throws -> FollowUp {
        let (pull, opened) = try await DispatchFollowUpTests.portersPullRequest(world.dispatch, head: head)
        let before = try #require(await world.emulator.branchSHA(owner: owner, repo: repo, branch: head))
        world.emulator.setRole(owner: owner, repo: repo, user: "alice", role: "write")
        let comment = try await world.emulator.comment(
            owner: owner, repo: repo, issue: pull, author: "alice", body: "@porter script also cover logout")
        let task = try await PostgresTaskRepository(client: world.database, logger: TestDatabase.logger).create(
            NewTask(
                issue: IssueReference(
                    installationID: Int64(world.dispatch.github.installationID),
                    repositoryID: try await DispatchFollowUpTests.repositoryID(world.dispatch),
                    repositoryFullName: "\(owner)/\(repo)", number: pull, isPullRequest: true),
                requester: Requester(id: 501, login: "alice"),
                request: TaskRequest(agent: .script, instructions: script),
                triggerCommentID: Int64(comment), kind: .followUp, followUpOf: opened,
                triggerCommentKind: .issueComment, followUp: FollowUpRequest(source: .conversation)))
        try await PostgresJobQueue(client: world.database, logger: TestDatabase.logger).enqueue(
            .dispatch(task.id, priority: .normal))
        try await world.dispatch.settle(world.dispatcher(options: options))
        return FollowUp(task: task.id, pull: pull, head: before)
    }

    /// A follow-up whose agent waits until bob has pushed `files` to the pull request's branch, then runs
    /// `then`: the follow-up and bob's commit.
    static func pushedMeanwhile(
        _ world: CallbackWorld, then: String, files: [String: String], message: String
    ) async throws -> (FollowUp, String) {
        let handshake = try Handshake()
        defer { handshake.remove() }
        let followUp = try await Self.followUp(world, script: handshake.wait + "\n" + then)
        let theirs = try await handshake.meanwhile(world, followUp.task) {
            try await world.emulator.pushCommit(
                owner: owner, repo: repo, branch: head, files: files, message: message, author: "bob")
        }
        // The agent may still read the handshake's files until its task has ended.
        _ = try await world.finish(followUp.task)
        return (followUp, theirs)
    }

    /// How the task ended, and the worker's log to explain it.
    static func ended(_ world: CallbackWorld, _ task: UUID) async throws -> (String, String?, String) {
        let (status, reason) = try await world.finish(task)
        return (status, reason, world.workerLog(task))
    }

    /// A directory the agent (`nobody`) and the test share: the agent says it is ready (it has its
    /// clone) with a file `ready`, then waits for the file `go`, which the test creates once it has
    /// done what a person would do meanwhile.
    struct Handshake {
        let directory = URL(fileURLWithPath: "/tmp/porter-follow-up-\(UUID().uuidString.prefix(8).lowercased())")

        init() throws {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: directory.path)
        }

        /// Script lines that signal readiness and wait (a minute at most) for the test.
        var wait: String {
            """
            touch \(directory.path)/ready
            for _ in $(seq 600); do [ -e \(directory.path)/go ] && break; sleep 0.1; done
            """
        }

        /// Waits until the agent is ready; fails early, with the worker's log, when the task ended first.
        func ready(_ world: CallbackWorld, _ task: UUID) async throws {
            let end = ContinuousClock.now + .seconds(90)
            while ContinuousClock.now < end {
                if FileManager.default.fileExists(atPath: directory.appendingPathComponent("ready").path) { return }
                if TaskStatus(rawValue: try await world.dispatch.status(task).0)?.isTerminal == true { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            throw WorkerTestFailure("the agent never got ready; worker log:\n\(world.workerLog(task))")
        }

        /// Waits until the agent is ready, does what a person does meanwhile, then lets the agent go on.
        func meanwhile<T>(
            _ world: CallbackWorld, _ task: UUID, _ action: () async throws -> T
        ) async throws -> T {
            try await ready(world, task)
            let result = try await action()
            try go()
            return result
        }

        func go() throws {
            try Data().write(to: directory.appendingPathComponent("go"))
        }

        func remove() { try? FileManager.default.removeItem(at: directory) }
    }

    func sha(_ world: CallbackWorld, _ branch: String) async -> String? {
        await world.emulator.branchSHA(owner: Self.owner, repo: Self.repo, branch: branch)
    }

    func file(_ world: CallbackWorld, _ path: String, at ref: String) async -> String? {
        await world.emulator.fileText(owner: Self.owner, repo: Self.repo, path: path, ref: ref)
    }

    /// The worker's pushes, as it logs each before making it: never forced, never a `+` refspec.
    func expectNoForcedPush(_ log: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let pushes = log.split(separator: "\n").filter { $0.contains("git push ") }
        #expect(!pushes.isEmpty, "the worker logged no push:\n\(log)", sourceLocation: sourceLocation)
        for push in pushes {
            #expect(
                push.contains(" refs/heads/") && !push.contains("+") && !push.contains("force"), "\(push)",
                sourceLocation: sourceLocation)
        }
    }

    @Test func theAgentsCommitsLandOnThePullRequestsBranchAsAFastForward() async throws {
        try await CallbackWorld.run { world in
            let followUp = try await Self.followUp(world, script: "echo 'logout covered' > logout.txt")
            let pulls = world.emulator.pullRequests(owner: Self.owner, repo: Self.repo)
            let (status, reason, log) = try await Self.ended(world, followUp.task)
            #expect(status == "succeeded", "\(reason ?? "") \(log)")

            let head = try #require(await sha(world, Self.head))
            #expect(head != followUp.head)
            #expect(await sha(world, "\(Self.head)~1") == followUp.head, "the new commit's parent is the old head")
            #expect(await sha(world, "\(Self.head)^2") == nil, "no merge commit")
            #expect(await file(world, "logout.txt", at: Self.head) == "logout covered\n")
            #expect(await file(world, "fix.txt", at: Self.head) == "fixed\n")
            let message = try await world.emulator.commitMessage(owner: Self.owner, repo: Self.repo, ref: Self.head)
            #expect(message.hasPrefix("Follow-up on #\(followUp.pull): Fix the widget"), "\(message)")
            #expect(message.contains("Co-authored-by: alice <501+alice@users.noreply.github.com>"))
            #expect(world.emulator.pullRequests(owner: Self.owner, repo: Self.repo).count == pulls.count)
            #expect(!(try await world.emulator.branches(owner: Self.owner, repo: Self.repo).contains(Self.side)))
            #expect(!log.contains("rebasing"))
            expectNoForcedPush(log)
        }
    }

    @Test func workPushedMeanwhileToAnotherFileIsKeptAndTheAgentsCommitsAreRebasedOntoIt() async throws {
        try await CallbackWorld.run { world in
            let (followUp, theirs) = try await Self.pushedMeanwhile(
                world, then: "echo 'logout covered' > logout.txt", files: ["other.txt": "theirs\n"],
                message: "Someone else's change")
            let (status, reason, log) = try await Self.ended(world, followUp.task)
            #expect(status == "succeeded", "\(reason ?? "") \(log)")

            let head = try #require(await sha(world, Self.head))
            #expect(await sha(world, "\(Self.head)~1") == theirs, "the agent's commit sits on the other person's")
            #expect(await sha(world, "\(Self.head)~2") == followUp.head)
            #expect(await file(world, "logout.txt", at: Self.head) == "logout covered\n")
            #expect(await file(world, "other.txt", at: Self.head) == "theirs\n")
            let message = try await world.emulator.commitMessage(owner: Self.owner, repo: Self.repo, ref: head)
            #expect(message.hasPrefix("Follow-up on #\(followUp.pull)"))
            #expect(log.contains("moved to \(theirs.prefix(12))"), "\(log)")
            #expect(log.contains("outcome: succeeded (\(head) on \(Self.head))"), "\(log)")
            #expect(!(try await world.emulator.branches(owner: Self.owner, repo: Self.repo).contains(Self.side)))
            expectNoForcedPush(log)
        }
    }

    @Test func aBranchThatMovedBeforeTheCloneIsWhereTheAgentStarts() async throws {
        var options = CallbackWorld.Options()
        options.holdSpecs = true
        try await CallbackWorld.run(options) { [options] world in
            // The worker cannot get its spec, so cannot clone, until bob has pushed.
            let followUp = try await Self.followUp(
                world, script: "echo 'logout covered' > logout.txt", options: options)
            let theirs = try await world.emulator.pushCommit(
                owner: Self.owner, repo: Self.repo, branch: Self.head, files: ["other.txt": "theirs\n"],
                message: "Someone else's change", author: "bob")
            world.specGate.release()
            let (status, reason, log) = try await Self.ended(world, followUp.task)
            #expect(status == "succeeded", "\(reason ?? "") \(log)")
            #expect(await sha(world, "\(Self.head)~1") == theirs)
            #expect(await file(world, "other.txt", at: Self.head) == "theirs\n")
            #expect(
                log.contains(
                    "\(Self.head) moved since the prompt was written: it was at \(followUp.head.prefix(12)), "
                        + "the agent starts from \(theirs.prefix(12))"), "\(log)")
            #expect(!log.contains("rebasing"), "the agent started from bob's commit: nothing to rebase")
            expectNoForcedPush(log)
        }
    }

    @Test func workPushedMeanwhileToTheSameLineFailsTheTaskAndTheAgentsWorkGoesToTheSideBranch() async throws {
        try await CallbackWorld.run { world in
            let (followUp, theirs) = try await Self.pushedMeanwhile(
                world, then: "echo 'fixed by the agent' > fix.txt", files: ["fix.txt": "fixed by bob\n"],
                message: "Bob's fix")
            let (status, reason, log) = try await Self.ended(world, followUp.task)
            #expect(status == "failed", "\(log)")
            #expect(
                reason == "the branch moved while the agent worked; its changes conflict in 1 file",
                "\(reason ?? "") \(log)")
            let conflicts = try await world.database.query(
                "SELECT conflict_files FROM task_follow_ups WHERE task_id = \(followUp.task)"
            ).collect().first?.decode([String]?.self)
            #expect(conflicts == ["fix.txt"])

            #expect(await sha(world, Self.head) == theirs, "the pull request's branch is as bob left it")
            #expect(await file(world, "fix.txt", at: Self.head) == "fixed by bob\n")
            #expect(await file(world, "fix.txt", at: Self.side) == "fixed by the agent\n")
            #expect(await sha(world, "\(Self.side)~1") == followUp.head, "the side branch holds the unrebased work")
            let comments = world.emulator.comments(owner: Self.owner, repo: Self.repo, issue: followUp.pull)
            #expect(comments.contains { $0.contains("fix.txt") }, "\(comments)")
            expectNoForcedPush(log)
        }
    }

    /// The rebase runs git as root on the agent's commits: nothing the agent planted in its repository
    /// or home (hooks, a hooks path, filters, an upload-pack hook) runs there or with the push.
    @Test func hooksAndConfigurationTheAgentPlantsNeverRunWithTheRebaseOrThePush() async throws {
        let handshake = try Handshake()
        defer { handshake.remove() }
        let ran = handshake.directory.appendingPathComponent("ran").path
        try await CallbackWorld.run { world in
            let followUp = try await Self.followUp(
                world,
                script: """
                    hooks=$HOME/hooks
                    mkdir -p "$hooks" .git/hooks
                    for hook in pre-commit commit-msg prepare-commit-msg post-commit pre-rebase post-rewrite \\
                        post-checkout pre-push reference-transaction; do
                      printf '#!/bin/sh\\necho "$(id -u) %s" >> \(ran)\\n' "$hook" > "$hooks/$hook"
                      cp "$hooks/$hook" ".git/hooks/$hook"
                      chmod +x "$hooks/$hook" ".git/hooks/$hook"
                    done
                    git config core.hooksPath "$hooks"
                    git config filter.planted.smudge "sh -c 'echo \\$(id -u) smudge >> \(ran); cat'"
                    git config uploadpack.packObjectsHook "sh -c 'echo packhook >> \(ran)'"
                    echo '* filter=planted' > .gitattributes
                    # The hooks work: the agent's own commit runs them, as the agent.
                    git add .gitattributes
                    git commit -qm "The agent's own commit"
                    \(handshake.wait)
                    echo 'logout covered' > logout.txt
                    """)
            let theirs = try await handshake.meanwhile(world, followUp.task) {
                try await world.emulator.pushCommit(
                    owner: Self.owner, repo: Self.repo, branch: Self.head, files: ["other.txt": "theirs\n"],
                    message: "Someone else's change", author: "bob")
            }
            let (status, reason, log) = try await Self.ended(world, followUp.task)
            #expect(status == "succeeded", "\(reason ?? "") \(log)")
            #expect(await sha(world, "\(Self.head)~2") == theirs, "both of the agent's commits were rebased")
            #expect(await file(world, "logout.txt", at: Self.head) == "logout covered\n")
            #expect(await file(world, ".gitattributes", at: Self.head) == "* filter=planted\n")
            let lines = ((try? String(contentsOfFile: ran, encoding: .utf8)) ?? "").split(separator: "\n")
            #expect(lines.contains("65534 pre-commit"), "the planted hooks never worked at all: \(lines)")
            #expect(lines.allSatisfy { $0.hasPrefix("65534 ") }, "something planted ran as another user: \(lines)")
            #expect(!lines.contains { $0.hasSuffix(" pre-push") || $0.hasSuffix(" pre-rebase") }, "\(lines)")
            expectNoForcedPush(log)
        }
    }

    @Test func anAgentThatRewritesTheBranchsHistoryPushesNothingToIt() async throws {
        try await CallbackWorld.run { world in
            let followUp = try await Self.followUp(
                world,
                script: """
                    echo 'rewritten' > fix.txt
                    git add -A
                    git commit -q --amend -m 'A better fix'
                    """)
            let (status, reason, log) = try await Self.ended(world, followUp.task)
            #expect(status == "failed", "\(log)")
            #expect(reason?.hasPrefix("the agent rewrote the branch's history") == true, "\(reason ?? "") \(log)")
            #expect(await sha(world, Self.head) == followUp.head, "nothing was pushed to the pull request")
            #expect(await file(world, "fix.txt", at: Self.side) == "rewritten\n")
            expectNoForcedPush(log)
        }
    }

    @Test func aBranchProtectedWhileTheAgentWorkedFailsThePushAndStaysAsItWas() async throws {
        let handshake = try Handshake()
        defer { handshake.remove() }
        try await CallbackWorld.run { world in
            let followUp = try await Self.followUp(
                world,
                script: """
                    \(handshake.wait)
                    echo 'logout covered' > logout.txt
                    """)
            try await handshake.meanwhile(world, followUp.task) {
                try world.emulator.protectBranch(owner: Self.owner, repo: Self.repo, branch: Self.head)
            }
            let (status, reason, log) = try await Self.ended(world, followUp.task)
            #expect(status == "failed", "\(log)")
            #expect(reason?.hasPrefix("pushing to \(Self.head) failed") == true, "\(reason ?? "")")
            #expect(reason?.contains("Protected branch") == true, "\(reason ?? "")")
            #expect(await sha(world, Self.head) == followUp.head)
            #expect(!(try await world.emulator.branches(owner: Self.owner, repo: Self.repo).contains(Self.side)))
            expectNoForcedPush(log)
        }
    }

    @Test func partialWorkOfATimedOutFollowUpGoesToTheSideBranchNotThePullRequest() async throws {
        let options = {
            var options = CallbackWorld.Options()
            options.timeout = .seconds(40)
            options.pushReserve = 8
            return options
        }()
        try await CallbackWorld.run(options) { world in
            let followUp = try await Self.followUp(
                world,
                script: """
                    echo 'partial' > partial.txt
                    sleep 600
                    """, options: options)
            let (status, _) = try await world.finish(followUp.task, within: .seconds(100))
            let log = world.workerLog(followUp.task)
            #expect(status == "timed_out", "\(log)")
            #expect(await sha(world, Self.head) == followUp.head, "partial work never lands on the pull request")
            #expect(await file(world, "partial.txt", at: Self.side) == "partial\n")
            #expect(await sha(world, "\(Self.side)~1") == followUp.head)
            #expect(log.contains("outcome: timed_out ("), "\(log)")
            #expect(log.contains("on \(Self.side))"), "\(log)")
            expectNoForcedPush(log)
        }
    }

    @Test func aSideBranchThatIsThePullRequestsBranchIsRefusedBeforeAnythingRuns() async throws {
        var options = CallbackWorld.Options()
        options.holdSpecs = true
        try await CallbackWorld.run(options) { [options] world in
            let followUp = try await Self.followUp(world, script: "echo ran > RAN.md", options: options)
            try await world.database.query(
                "UPDATE task_follow_ups SET side_branch = \(Self.head) WHERE task_id = \(followUp.task)")
            world.specGate.release()
            let (status, reason) = try await world.finish(followUp.task)
            #expect(status == "failed")
            #expect(
                reason == "the spec is malformed: follow_up.side_branch must differ from branch and base_branch",
                "\(reason ?? "") \(world.workerLog(followUp.task))")
            #expect(await sha(world, Self.head) == followUp.head)
            #expect(!world.workerLog(followUp.task).contains("git push"))
        }
    }

    /// Every push the entrypoint can make, in either mode: none is forced.
    @Test func theEntrypointNeverForcesAPush() throws {
        let source = try String(contentsOfFile: CallbackWorld.entrypoint, encoding: .utf8)
        let pushes = source.split(separator: "\n").filter {
            $0.range(of: #"\bpush\b.*refs/heads/"#, options: .regularExpression) != nil && !$0.contains("say ")
        }
        #expect(pushes.count == 1, "one push command, shared by every push:\n\(pushes.joined(separator: "\n"))")
        for push in pushes {
            #expect(!push.contains("--force") && !push.contains(" -f ") && !push.contains("\"+"), "\(push)")
        }
    }
}
