import Foundation
import PorterEmulators
import PorterKit
import PorterTestSupport
import PostgresNIO
import Testing

/// The real worker entrypoint, run by the Fly emulator as a Machine's process: it fetches its spec from
/// callback-receiver, clones from the git emulator, runs the `script` agent as `nobody`, commits,
/// pushes and reports; callback-receiver finalizes and the PR opens.
@Suite struct WorkerEntrypointTests {
    static let issue = (owner: "acme", repo: "widgets")

    func pulls(_ world: CallbackWorld) -> [EmulatedPullSummary] {
        world.emulator.pullRequests(owner: Self.issue.owner, repo: Self.issue.repo)
    }

    @Test func aTaskGoesFromCommandToOpenedPullRequest() async throws {
        try await CallbackWorld.run { world in
            let id = try await world.start(
                script: """
                    echo "fixed" > FIX.md
                    echo "Made the login test wait for the server."
                    """)
            let (status, reason) = try await world.finish(id)
            let log = world.workerLog(id)
            #expect(status == "succeeded", "\(reason ?? "") \(log)")

            let pull = try #require(pulls(world).first, "no pull request; worker log:\n\(log)")
            #expect(pulls(world).count == 1)
            #expect(pull.title == "Flaky login test")
            #expect(pull.draft)
            #expect(pull.base == "main")
            #expect(pull.head.hasPrefix("porter/issue-1-"))
            #expect(pull.body?.contains("Fixes #1") == true)
            #expect(pull.body?.contains("Made the login test wait for the server.") == true)
            #expect(
                await world.emulator.fileText(owner: "acme", repo: "widgets", path: "FIX.md", ref: pull.head)
                    == "fixed\n")
            let message = try await world.emulator.commitMessage(owner: "acme", repo: "widgets", ref: pull.head)
            #expect(message.hasPrefix("Flaky login test (#1)"))
            #expect(message.contains("Co-authored-by: alice <501+alice@users.noreply.github.com>"))

            let comment = try #require(world.dispatch.comments.first { $0.contains("✅ succeeded") })
            #expect(comment.contains("Draft pull request: #\(pull.number)"))
            #expect(world.dispatch.labels == ["porter:succeeded"])
            let timeline = try await world.timeline(id)
            #expect(timeline.contains { $0.hasPrefix("completion: succeeded") })
            let phases = try await world.database.query(
                "SELECT DISTINCT data->>'phase' FROM task_events WHERE task_id = \(id) AND kind = 'progress'"
            ).collect().map { try $0.decode(String.self) }
            #expect(Set(phases).isSuperset(of: ["cloning", "agent", "pushing"]), "\(phases)")
            let heartbeat = try await world.database.query(
                "SELECT last_heartbeat_at IS NOT NULL FROM task_attempts WHERE task_id = \(id)"
            ).collect().first!.decode(Bool.self)
            #expect(heartbeat)
        }
    }

    @Test func anAgentThatChangesNothingEndsWithoutABranchOrPullRequest() async throws {
        try await CallbackWorld.run { world in
            let id = try await world.start(script: "echo 'The test is not flaky; nothing to change.'")
            let (status, reason) = try await world.finish(id)
            #expect(status == "failed")
            #expect(reason == "the agent made no changes", "\(world.workerLog(id))")
            #expect(pulls(world).isEmpty)
            let comment = try #require(world.dispatch.comments.first { $0.contains("❌ failed") })
            #expect(comment.contains("without changing anything"))
            #expect(comment.contains("nothing to change"))
            #expect(comment.contains("`@porter retry`"))
            let branches = try await world.database.query("SELECT branch FROM tasks WHERE id = \(id)").collect()
            let branch = try #require(try branches.first?.decode(String?.self))
            #expect(await world.emulator.branchSHA(owner: "acme", repo: "widgets", branch: branch) == nil)
        }
    }

    @Test func anAgentThatFailsIsReportedWithItsExitCodeAndLogTail() async throws {
        try await CallbackWorld.run { world in
            let id = try await world.start(
                script: """
                    echo "half done" > HALF.md
                    echo "compiler exploded" >&2
                    exit 3
                    """)
            let (status, reason) = try await world.finish(id)
            #expect(status == "failed")
            #expect(reason?.contains("code 3") == true, "\(reason ?? "") \(world.workerLog(id))")
            #expect(pulls(world).isEmpty)
            let comment = try #require(world.dispatch.comments.first { $0.contains("❌ failed") })
            #expect(comment.contains("compiler exploded"))
            #expect(comment.contains("`@porter retry`"))
        }
    }

    @Test func anAgentPastItsDeadlineIsStoppedAndItsPartialWorkOpensADraft() async throws {
        let options = {
            var options = CallbackWorld.Options()
            options.timeout = .seconds(40)
            options.pushReserve = 8
            return options
        }()
        try await CallbackWorld.run(options) { world in
            let id = try await world.start(
                script: """
                    echo "partial" > PARTIAL.md
                    echo "started on it"
                    sleep 600
                    """, options: options, draft: false)
            let (status, _) = try await world.finish(id, within: .seconds(100))
            #expect(status == "timed_out", "\(world.workerLog(id))")
            let pull = try #require(pulls(world).first, "no draft; worker log:\n\(world.workerLog(id))")
            #expect(pull.draft, "a timed-out task's PR is a draft even when --ready was asked for")
            #expect(pull.body?.hasPrefix("Refs #1.") == true)
            #expect(
                world.emulator.labels(owner: "acme", repo: "widgets", issue: pull.number)
                    == ["porter", "porter:timed-out"])
            #expect(
                await world.emulator.fileText(owner: "acme", repo: "widgets", path: "PARTIAL.md", ref: pull.head)
                    == "partial\n")
            let comment = try #require(world.dispatch.comments.first { $0.contains("⌛ timed out") })
            #expect(comment.contains("Draft pull request: #\(pull.number)"))
            #expect(world.dispatch.labels == ["porter:timed-out"])
        }
    }

    @Test func aStopWhileTheAgentRunsStopsItAndEndsTheTaskCancelled() async throws {
        try await CallbackWorld.run { world in
            let id = try await world.start(
                script: """
                    echo "working" > WIP.md
                    sleep 600
                    """)
            // Wait for the worker's first heartbeat (the agent then runs), then close the issue as a
            // person would. A loaded machine can take many seconds to get that far.
            let end = ContinuousClock.now + .seconds(120)
            var beating = false
            while !beating, ContinuousClock.now < end {
                beating =
                    try await world.database.query(
                        "SELECT last_heartbeat_at IS NOT NULL FROM task_attempts WHERE task_id = \(id)"
                    ).collect().first?.decode(Bool.self) == true
                if !beating { try await Task.sleep(for: .milliseconds(100)) }
            }
            try #require(beating, "no heartbeat in 120 s; worker log:\n\(world.workerLog(id))")
            try await world.database.query(
                "UPDATE tasks SET cancel_requested_at = now(), status_reason = 'the issue was closed' WHERE id = \(id)")
            let started = ContinuousClock.now
            let (status, _) = try await world.finish(id, within: .seconds(60))
            #expect(status == "cancelled", "\(world.workerLog(id))")
            #expect(ContinuousClock.now - started < .seconds(30), "the agent was not stopped")
            #expect(pulls(world).isEmpty)
            #expect(world.dispatch.comments.contains { $0.contains("🛑 cancelled") })
            #expect(world.dispatch.labels == ["porter:cancelled"])
        }
    }

    @Test func aReportIsRetriedUntilCallbackReceiverIsBack() async throws {
        var options = CallbackWorld.Options()
        options.reportOutage = .seconds(5)
        try await CallbackWorld.run(options) { world in
            let id = try await world.start(script: "echo fixed > FIX.md")
            let (status, _) = try await world.finish(id, within: .seconds(90))
            #expect(status == "succeeded", "\(world.workerLog(id))")
            #expect(world.outage.refused >= 2, "the worker tried again during the outage")
            #expect(pulls(world).count == 1)
        }
    }

    @Test func aWorkerThatCannotGetItsSpecSaysSoAndTheTaskEnds() async throws {
        var options = CallbackWorld.Options()
        options.specOutage = .seconds(600)
        options.specPatience = 3
        // A spec never served is the infrastructure's failure; with no retries left, the task ends.
        options.infraRetries = 0
        try await CallbackWorld.run(options) { world in
            let id = try await world.start(script: "echo never runs > RAN.md")
            let (status, reason) = try await world.finish(id, within: .seconds(60))
            #expect(status == "failed", "\(world.workerLog(id))")
            #expect(reason?.contains("could not fetch its task spec") == true, "\(reason ?? "")")
            #expect(world.outage.refused == 0, "the reports went through")
            #expect(pulls(world).isEmpty)
        }
    }

    @Test func theAgentFindsNoTokenInItsEnvironmentFilesOrProcesses() async throws {
        try await CallbackWorld.run { world in
            // The agent looks everywhere it can read for anything shaped like a GitHub or task token,
            // and commits what it found, so the test reads its findings from the pushed branch.
            let id = try await world.start(
                script: #"""
                    # Split so that this script, which the agent can read as its prompt, does not match itself.
                    pattern='gh[pousr]_[A-Za-z0-9]{20,}|ptk_[A-Za-z0-9_-]{20,}|x-acc''ess-token:[^@ ]|Authori''zation: *(Basic|Bearer|token) +[A-Za-z0-9+/=_-]{12,}'
                    out=$(mktemp)
                    {
                      echo "uid $(id -u)"
                      echo "processes $(ls -d /proc/[0-9]* | wc -l)"
                      env | grep -E "$pattern" | sed 's/^/env: /'
                      for p in /proc/[0-9]*; do
                        tr '\0' '\n' < "$p/environ" 2>/dev/null | grep -E "$pattern" | sed "s|^|$p/environ: |"
                        tr '\0' ' ' < "$p/cmdline" 2>/dev/null | grep -E "$pattern" | sed "s|^|$p/cmdline: |"
                      done
                      # The workspace, and the attempt's directory around it, where the worker keeps its state.
                      grep -rEho "$pattern" "$HOME" ../.. 2>/dev/null | sed 's/^/file: /'
                      git config --list --show-origin 2>/dev/null | grep -E "$pattern" | sed 's/^/git: /'
                      echo "end"
                    } > "$out"
                    mv "$out" FINDINGS.txt
                    """#)
            let (status, _) = try await world.finish(id)
            #expect(status == "succeeded", "\(world.workerLog(id))")
            let pull = try #require(pulls(world).first)
            let findings = try #require(
                await world.emulator.fileText(owner: "acme", repo: "widgets", path: "FINDINGS.txt", ref: pull.head))
            let lines = findings.split(separator: "\n").map(String.init)
            #expect(lines.first == "uid 65534", "the agent runs as nobody")
            #expect(lines.last == "end")
            #expect(Int(lines[1].split(separator: " ").last ?? "") ?? 0 > 1, "the agent could list processes")
            #expect(lines.count == 3, "the agent found tokens:\n\(findings)")
            let taskToken = try await world.token(id)
            #expect(!findings.contains(taskToken))
            for token in world.emulator.liveTokens(installationID: world.dispatch.github.installationID) {
                #expect(!findings.contains(token))
            }
        }
    }

    @Test func hooksAndConfigurationTheAgentPlantsNeverRunWithThePush() async throws {
        let markers = URL(fileURLWithPath: "/tmp/porter-hooks-\(UUID().uuidString.prefix(8).lowercased())")
        try FileManager.default.createDirectory(at: markers, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: markers.path)
        defer { try? FileManager.default.removeItem(at: markers) }
        try await CallbackWorld.run { world in
            // Every hook git could run on commit, fetch or push, in the repository and in a hooks path
            // of the agent's choosing, and a rewrite that would send the push elsewhere.
            let id = try await world.start(
                script: """
                    hooks=$HOME/hooks
                    mkdir -p "$hooks" .git/hooks
                    for hook in pre-commit commit-msg post-commit pre-push post-checkout reference-transaction; do
                      printf '#!/bin/sh\\necho "$(id -u) %s" >> \(markers.path)/ran\\n' "$hook" > "$hooks/$hook"
                      cp "$hooks/$hook" ".git/hooks/$hook"
                      chmod +x "$hooks/$hook" ".git/hooks/$hook"
                    done
                    git config core.hooksPath "$hooks"
                    git config url.http://127.0.0.1:9/.insteadOf http://
                    git config uploadpack.packObjectsHook "sh -c 'echo packhook >> \(markers.path)/ran'"
                    # The hooks work: the agent's own commit runs them, as the agent.
                    git commit --allow-empty -qm "The agent's own commit"
                    echo fixed > FIX.md
                    """)
            let (status, _) = try await world.finish(id)
            #expect(status == "succeeded", "\(world.workerLog(id))")
            let pull = try #require(pulls(world).first, "the push did not reach GitHub: \(world.workerLog(id))")
            #expect(
                await world.emulator.fileText(owner: "acme", repo: "widgets", path: "FIX.md", ref: pull.head)
                    == "fixed\n")
            let ran = (try? String(contentsOf: markers.appendingPathComponent("ran"), encoding: .utf8)) ?? ""
            let lines = ran.split(separator: "\n").map(String.init)
            #expect(lines.contains("65534 pre-commit"), "the planted hooks never worked at all:\n\(ran)")
            #expect(lines.allSatisfy { $0.hasPrefix("65534 ") }, "a planted hook ran as another user:\n\(ran)")
            #expect(!lines.contains { $0.hasSuffix(" pre-push") }, "the push ran the agent's pre-push hook")
        }
    }

    @Test func nothingTheAgentStartsOutlivesItsRun() async throws {
        let beacon = URL(fileURLWithPath: "/tmp/porter-beacon-\(UUID().uuidString.prefix(8).lowercased())")
        try FileManager.default.createDirectory(at: beacon, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: beacon.path)
        defer { try? FileManager.default.removeItem(at: beacon) }
        // The sweep kills every process of the agent user: this test's user is its own, so it kills
        // no other test's agent.
        var options = CallbackWorld.Options()
        options.agentUser = "games"
        options.agentShared = false
        try await CallbackWorld.run(options) { world in
            // Two stragglers: one in the background, one detached into a session of its own.
            let id = try await world.start(
                script: """
                    (while :; do date +%s%N > \(beacon.path)/background; sleep 0.1; done) &
                    setsid sh -c 'while :; do date +%s%N > \(beacon.path)/detached; sleep 0.1; done' &
                    sleep 0.5
                    echo fixed > FIX.md
                    """)
            let (status, _) = try await world.finish(id)
            #expect(status == "succeeded", "\(world.workerLog(id))")
            for name in ["background", "detached"] {
                let file = beacon.appendingPathComponent(name).path
                #expect(FileManager.default.fileExists(atPath: file), "the \(name) straggler never ran")
                let before = try? String(contentsOfFile: file, encoding: .utf8)
                try await Task.sleep(for: .milliseconds(600))
                let after = try? String(contentsOfFile: file, encoding: .utf8)
                #expect(before == after, "the \(name) straggler still runs after the task ended")
            }
        }
    }

    @Test func tokenCanariesInTheAgentsOutputAppearNowhere() async throws {
        let canaries = [
            "ghp_" + String(repeating: "k", count: 36), "github_pat_" + String(repeating: "P", count: 30),
            "sk-ant-api03-" + String(repeating: "z", count: 24), "sk-proj-" + String(repeating: "y", count: 24),
            CallbackWorld.operatorKeys["ANTHROPIC_API_KEY"]!,
            "fm2_" + String(repeating: "F", count: 30), "urlPassw0rdCanary", "QWxhZGRpbjpvcGVuIHNlc2FtZQ",
        ]
        // Each canary as an agent might print it: bare, a Fly header, a URL's password, a token= form.
        let printed =
            canaries.dropLast(2) + [
                "https://porter:\(canaries[6])@git.example.com/o/r.git", "token=\(canaries[7])",
                "Authorization: FlyV1 \(canaries[5])",
            ]
        try await CallbackWorld.run { world in
            let id = try await world.start(
                script: printed.map { "echo 'using \($0)'; echo 'error: \($0) refused' >&2" }.joined(separator: "\n")
                    + "\nexit 2")
            let (status, _) = try await world.finish(id)
            #expect(status == "failed")
            let written = try await world.everythingWritten(id)
            #expect(written.contains("[REDACTED]"), "the canaries reached the report, redacted")
            let log = world.workerLog(id)
            for canary in canaries {
                #expect(!written.contains(canary), "\(canary) was stored or posted")
                #expect(!log.contains(canary), "\(canary) is in the worker's own log")
            }
        }
    }

    /// Runs a program with exactly `environment` plus PATH.
    static func run(_ command: [String], environment: [String: String]) async throws -> (Int32, String) {
        try await ProgramRun.run(
            command,
            environment: environment.merging(
                ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]) { $1 })
    }

    @Test func anIncompleteEnvironmentIsNamedInFullWithExitCode2() async throws {
        let (status, output) = try await Self.run(
            [CallbackWorld.entrypoint], environment: ["PORTER_ATTEMPT": "zero", "PORTER_DEADLINE": "tomorrow"])
        #expect(status == 2)
        for problem in [
            "PORTER_TASK_ID is not set", "PORTER_CALLBACK_URL is not set", "PORTER_TASK_TOKEN is not set",
            "PORTER_ATTEMPT must be a positive integer", "PORTER_DEADLINE must be an ISO 8601 time",
        ] {
            #expect(output.contains(problem), "\(problem) missing from:\n\(output)")
        }
    }

    @Test func aWorkerWhoseTokenIsRefusedExitsWith3AndTouchesNothing() async throws {
        try await CallbackWorld.run { world in
            let id = try await world.start(script: "echo hi", image: "sleeper")
            let base = world.workRoot.appendingPathComponent("refused")
            let (status, output) = try await Self.run(
                [
                    URL(fileURLWithPath: CallbackWorld.entrypoint).deletingLastPathComponent()
                        .appendingPathComponent("local-worker").path
                ],
                environment: [
                    "PORTER_TASK_ID": id.uuidString.lowercased(), "PORTER_ATTEMPT": "1",
                    "PORTER_CALLBACK_URL": world.callbackURL.absoluteString,
                    "PORTER_TASK_TOKEN": "ptk_" + String(repeating: "x", count: 43),
                    "PORTER_DEADLINE": ISO8601DateFormatter().string(from: Date().addingTimeInterval(600)),
                    "PORTER_LOCAL_WORKERS": base.path,
                ])
            #expect(status == 3, "\(output)")
            #expect(try await world.dispatch.status(id).0 == "running")
            #expect(world.emulator.pullRequests(owner: "acme", repo: "widgets").isEmpty)
        }
    }
}
