import Foundation
import PorterEmulators
import PorterKit
import PorterTestSupport
import PostgresNIO
import Testing

/// callback-receiver's endpoints, with the test in the worker's place: a Machine that only sleeps.
@Suite struct CallbackReceiverTests {
    static let refusal = #"{"error":"invalid or expired task token"}"#

    /// A running claude task on the operator's key, and its token.
    static func running(_ world: CallbackWorld) async throws -> (UUID, String) {
        let id = try await world.start(script: "fix it", agent: .claude, image: "sleeper")
        #expect(try await world.dispatch.status(id).0 == "running")
        return (id, try await world.token(id))
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// Pushes a commit to the task's branch with the spec's git token, as a worker does; returns its sha.
    static func pushWork(_ world: CallbackWorld, _ id: UUID, token: String) async throws -> (String, String) {
        let spec = try json(try await world.call(.GET, world.attemptPath(id) + "/spec", token: token).body)
        let branch = try #require(spec["branch"] as? String)
        let sha = try await push(world, id, token: token, base: "main", branch: branch, files: ["FIX.md": "fixed\n"])
        return (branch, sha)
    }

    /// Pushes `files` on top of `base` to `branch` with the task's git token, as anyone holding the
    /// spec could; returns the branch's new head.
    static func push(
        _ world: CallbackWorld, _ id: UUID, token: String, base: String, branch: String, files: [String: String]
    ) async throws -> String {
        let spec = try json(try await world.call(.GET, world.attemptPath(id) + "/spec", token: token).body)
        let gitToken = try #require(spec["git_token"] as? String)
        let url = world.emulator.baseURL.replacingOccurrences(of: "://", with: "://x-access-token:\(gitToken)@")
        try await GitCLI.pushBranch(from: "\(url)/acme/widgets.git", base: base, branch: branch, files: files)
        return try #require(await world.emulator.branchSHA(owner: "acme", repo: "widgets", branch: branch))
    }

    static func completion(_ id: UUID, _ fields: [String: Any]) throws -> String {
        var body = fields
        body["task_id"] = id.uuidString.lowercased()
        return String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)
    }

    @Test func theSpecGoesOnlyToTheHolderOfTheAttemptsToken() async throws {
        try await CallbackWorld.run { world in
            let (id, token) = try await Self.running(world)
            let path = world.attemptPath(id) + "/spec"

            let missing = try await world.call(.GET, path, token: nil)
            let wrong = try await world.call(.GET, path, token: "ptk_" + String(repeating: "A", count: 43))
            let otherAttempt = try await world.call(.GET, world.attemptPath(id, 2) + "/spec", token: token)
            let otherTask = try await world.call(.GET, world.attemptPath(UUID()) + "/spec", token: token)
            for answer in [missing, wrong, otherAttempt, otherTask] {
                #expect(answer.status == 401)
                #expect(answer.body == Self.refusal, "every refusal reads the same")
            }

            let served = try await world.call(.GET, path, token: token)
            #expect(served.status == 200)
            let spec = try Self.json(served.body)
            #expect(spec["agent"] as? String == "claude")
            #expect(spec["repository"] as? String == "acme/widgets")
            #expect(spec["base_branch"] as? String == "main")
            #expect((spec["branch"] as? String)?.hasPrefix("porter/issue-1-") == true)
            #expect(spec["clone_url"] as? String == "\(world.emulator.baseURL)/acme/widgets.git")
            #expect((spec["prompt"] as? String)?.contains("Flaky login test") == true)
            #expect((spec["env"] as? [String: String]) == CallbackWorld.operatorKeys)
            let commit = try #require(spec["commit"] as? [String: Any])
            #expect(commit["message"] as? String == "Flaky login test (#1)\n\nRequested by @alice in acme/widgets#1.")
            #expect(commit["co_author"] as? String == "alice <501+alice@users.noreply.github.com>")

            // The git token reaches this one repository and no other, and cannot touch issues.
            let gitToken = try #require(spec["git_token"] as? String)
            let reachable = world.emulator.tokenRepositories(gitToken)
            #expect(reachable == ["acme/widgets"])
            #expect(world.emulator.tokenPermissions(gitToken)["issues"] == nil)

            // At the deadline the token stops working, for the spec as for everything else.
            try await world.database.query(
                "UPDATE task_attempts SET token_expires_at = now() - interval '1 second' WHERE task_id = \(id)")
            let expired = try await world.call(.GET, path, token: token)
            #expect(expired.status == 401)
            #expect(expired.body == Self.refusal)
        }
    }

    @Test func aCancelledTaskNoLongerGetsItsSpecAndItsHeartbeatSaysStop() async throws {
        try await CallbackWorld.run { world in
            let (id, token) = try await Self.running(world)
            let beat = try await world.call(.POST, world.attemptPath(id) + "/heartbeat", token: token, json: "{}")
            #expect(beat.status == 200)
            #expect(beat.body == #"{"continue":true}"#)
            let heartbeat = try await world.database.query(
                "SELECT last_heartbeat_at IS NOT NULL, state FROM task_attempts WHERE task_id = \(id)"
            ).collect().first!.decode((Bool, String).self)
            #expect(heartbeat == (true, "running"))

            try await world.database.query("UPDATE tasks SET cancel_requested_at = now() WHERE id = \(id)")
            let stop = try await world.call(.POST, world.attemptPath(id) + "/heartbeat", token: token, json: "{}")
            #expect(stop.body == #"{"continue":false}"#)
            let spec = try await world.call(.GET, world.attemptPath(id) + "/spec", token: token)
            #expect(spec.status == 409)
        }
    }

    @Test func progressIsStoredRedactedAndTheStatusCommentFollowsThePhase() async throws {
        try await CallbackWorld.run { world in
            let (id, token) = try await Self.running(world)
            let canary = "ghs_" + String(repeating: "Q", count: 36)
            let event = try Self.completion(
                id, ["phase": "agent", "message": "working", "lines": ["using \(canary)", "still going"]])
            let answer = try await world.call(.POST, world.attemptPath(id) + "/events", token: token, json: event)
            #expect(answer.status == 202)
            let bad = try await world.call(
                .POST, world.attemptPath(id) + "/events", token: token, json: #"{"phase":"dancing"}"#)
            #expect(bad.status == 400)
            #expect(bad.body.contains("phase must be one of"))
            try await world.deliver()

            let stored = try await world.database.query(
                "SELECT data::text FROM task_events WHERE task_id = \(id) AND kind = 'progress'"
            ).collect().map { try $0.decode(String.self) }
            #expect(stored.count == 1)
            #expect(stored.first?.contains("[REDACTED]") == true)
            #expect(!stored.joined().contains(canary))
            #expect(world.dispatch.comments.contains { $0.contains("Now: the agent is working.") })
            #expect(world.dispatch.comments.contains { $0.contains("Latest: `still going`") })
            #expect(!world.dispatch.comments.joined().contains(canary))
        }
    }

    @Test func tenConcurrentCopiesOfACompletionOpenOnePullRequestAndEditTheCommentOnce() async throws {
        try await CallbackWorld.run { world in
            let (id, token) = try await Self.running(world)
            let (branch, sha) = try await Self.pushWork(world, id, token: token)
            try await world.deliver()
            let revision = try await world.database.query(
                "SELECT revision FROM github_side_effects WHERE dedupe_key = \("task:\(id.uuidString.lowercased()):status")"
            ).collect().first!.decode(Int.self)

            let report = try Self.completion(
                id,
                ["attempt": 1, "status": "succeeded", "branch": branch, "head_sha": sha, "summary": "Fixed the test."])
            let replies = try await withThrowingTaskGroup(of: (Int, String).self) { group in
                for _ in 0..<10 {
                    group.addTask { try await world.call(.POST, "/callbacks/complete", token: token, json: report) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(replies.allSatisfy { $0.0 == 200 })
            #expect(Set(replies.map(\.1)).count == 1, "every copy gets the same answer")
            let reply = try Self.json(replies[0].1)
            #expect(reply["task_status"] as? String == "succeeded")
            #expect(reply["pull_request"] as? Bool == true)
            try await world.deliver()

            let pulls = world.emulator.pullRequests(owner: "acme", repo: "widgets")
            #expect(pulls.count == 1)
            let pull = try #require(pulls.first)
            #expect(pull.head == branch)
            #expect(pull.title == "Flaky login test")
            #expect(pull.draft)
            #expect(pull.body?.hasPrefix("Fixes #1") == true)
            #expect(pull.body?.contains("Fixed the test.") == true)
            #expect(world.emulator.labels(owner: "acme", repo: "widgets", issue: pull.number) == ["porter"])
            let finalRevision = try await world.database.query(
                "SELECT revision FROM github_side_effects WHERE dedupe_key = \("task:\(id.uuidString.lowercased()):status")"
            ).collect().first!.decode(Int.self)
            #expect(finalRevision == revision + 1, "one final edit of the status comment")
            let status = try #require(world.dispatch.comments.first { $0.contains("✅ succeeded") })
            #expect(status.contains("Draft pull request: #\(pull.number)"))
            #expect(world.dispatch.labels == ["porter:succeeded"])
            let task = try await world.database.query(
                """
                SELECT status, pull_request_number, head_sha, pull_request_state, pull_request_draft
                FROM tasks WHERE id = \(id)
                """
            ).collect().first!.decode((String, Int?, String?, String?, Bool?).self)
            #expect(task.0 == "succeeded")
            #expect(task.1 == pull.number)
            #expect(task.2 == sha)
            #expect(task.3 == "open")
            #expect(task.4 == true)
        }
    }

    @Test func aLateCompletionRecordsTheBranchButLeavesACancelledTaskCancelled() async throws {
        try await CallbackWorld.run { world in
            let (id, token) = try await Self.running(world)
            let (branch, sha) = try await Self.pushWork(world, id, token: token)
            _ = try await PostgresTaskRepository(client: world.database, logger: TestDatabase.logger)
                .transition(id: id, to: .cancelled, reason: "stopped by alice")

            let report = try Self.completion(id, ["status": "succeeded", "branch": branch, "head_sha": sha])
            let first = try await world.call(.POST, "/callbacks/complete", token: token, json: report)
            let again = try await world.call(.POST, "/callbacks/complete", token: token, json: report)
            #expect(first.status == 200)
            #expect(first.body == again.body)
            #expect(try Self.json(first.body)["task_status"] as? String == "cancelled")
            try await world.deliver()

            let task = try await world.database.query(
                "SELECT status, branch, head_sha FROM tasks WHERE id = \(id)"
            ).collect().first!.decode((String, String?, String?).self)
            #expect(task.0 == "cancelled")
            #expect(task.1 == branch)
            #expect(task.2 == sha)
            #expect(world.emulator.pullRequests(owner: "acme", repo: "widgets").isEmpty)
        }
    }

    @Test func theOriginalPayloadIsAcceptedAtTheOriginalPath() async throws {
        try await CallbackWorld.run { world in
            let (id, token) = try await Self.running(world)
            let (branch, sha) = try await Self.pushWork(world, id, token: token)
            let report =
                #"{"taskId":"\#(id.uuidString)","status":"success","branchName":"\#(branch)","commitSha":"\#(sha)","message":"Done."}"#
            let answer = try await world.call(.POST, "/api/callbacks/complete", token: token, json: report)
            #expect(answer.status == 200)
            try await world.deliver()
            #expect(try await world.dispatch.status(id).0 == "succeeded")
            #expect(world.emulator.pullRequests(owner: "acme", repo: "widgets").count == 1)
        }
    }

    @Test func aBadReportIsRefusedWithItsReasonAndChangesNothing() async throws {
        try await CallbackWorld.run { world in
            let (id, token) = try await Self.running(world)
            let cases: [(String, Int, String)] = [
                ("not json", 400, "the body must be a JSON object"),
                (#"{"status":"succeeded"}"#, 400, "task_id is required"),
                (#"{"task_id":"nope","status":"succeeded"}"#, 400, "task_id must be a UUID"),
                (try Self.completion(id, ["status": "exploded"]), 400, "status must be one of"),
                (try Self.completion(id, ["status": "failed", "attempt": "x"]), 400, "attempt must be an integer"),
                (try Self.completion(id, ["status": "succeeded", "head_sha": "zz"]), 400, "head_sha"),
            ]
            for (body, status, words) in cases {
                let answer = try await world.call(.POST, "/callbacks/complete", token: token, json: body)
                #expect(answer.status == status, "\(body)")
                #expect(answer.body.contains(words), "\(body): \(answer.body)")
            }
            let wrongToken = try await world.call(
                .POST, "/callbacks/complete", token: "ptk_nottherightone0123456789abcdef",
                json: try Self.completion(id, ["status": "failed"]))
            #expect(wrongToken.status == 401)
            #expect(try await world.dispatch.status(id).0 == "running")
            #expect(
                try await world.database.query("SELECT reply IS NULL FROM task_attempts WHERE task_id = \(id)")
                    .collect().first!.decode(Bool.self))
        }
    }

    @Test func aFailureIsReportedWithItsRedactedReasonAndTheRetryHint() async throws {
        try await CallbackWorld.run { world in
            let (id, token) = try await Self.running(world)
            let canaries = [
                "ghp_" + String(repeating: "c", count: 36), CallbackWorld.operatorKeys["ANTHROPIC_API_KEY"]!,
                "Bearer abcdefghijklmnopqrstuvwxyz0123",
            ]
            let report = try Self.completion(
                id,
                [
                    "status": "failed", "error": "the agent exited with code 3 holding \(canaries[0])",
                    "log_tail": "step 1\nkey \(canaries[1])\nAuthorization: \(canaries[2])\nboom",
                    "summary": "could not do it with \(canaries[1])",
                ])
            #expect(try await world.call(.POST, "/callbacks/complete", token: token, json: report).status == 200)
            try await world.deliver()

            #expect(try await world.dispatch.status(id).0 == "failed")
            let comment = try #require(world.dispatch.comments.first { $0.contains("❌ failed") })
            #expect(comment.contains("the agent exited with code 3"))
            #expect(comment.contains("boom"))
            #expect(comment.contains("`@porter retry`"))
            let written = try await world.everythingWritten(id)
            for canary in canaries { #expect(!written.contains(canary), "\(canary) leaked") }
            #expect(world.dispatch.labels == ["porter:failed"])
        }
    }

    @Test func aMachineStillThereAfterItsReportIsStoppedAndDestroyed() async throws {
        try await CallbackWorld.run { world in
            let (id, token) = try await Self.running(world)
            let machine = try #require(world.dispatch.fly.machines.first)
            #expect(machine.state == "started" || machine.state == "starting" || machine.state == "created")
            let report = try Self.completion(id, ["status": "no_changes", "summary": "Nothing to do."])
            #expect(try await world.call(.POST, "/callbacks/complete", token: token, json: report).status == 200)
            let gone = try await FlyHarness.eventually(timeout: .seconds(20)) {
                world.dispatch.fly.machine(machine.id)?.state == "destroyed"
            }
            #expect(gone)
            try await world.deliver()
            let comment = try #require(world.dispatch.comments.first { $0.contains("❌ failed") })
            #expect(comment.contains("without changing anything"))
            #expect(comment.contains("> Nothing to do."))
        }
    }

    @Test func finishingATaskWakesTheTasksWaitingForItsIssueOrItsRequester() async throws {
        try await CallbackWorld.run { world in
            let (id, token) = try await Self.running(world)
            let other = world.emulator.addIssue(owner: "acme", repo: "widgets", title: "Other", author: "octocat")
            let sameIssue = try await world.dispatch.request(by: "bob", issue: 1, userID: 777)
            let sameRequester = try await world.dispatch.request(by: "alice", issue: other)
            let unrelated = try await world.dispatch.request(by: "carol", issue: other, userID: 888)
            let all = [sameIssue, sameRequester, unrelated]
            // All wait far in the future, as tasks that just looked and found no slot would.
            for task in all {
                try await world.database.query(
                    "UPDATE jobs SET run_after = now() + interval '1 hour' WHERE task_id = \(task)")
            }
            let report = try Self.completion(id, ["status": "failed", "error": "gave up"])
            #expect(try await world.call(.POST, "/callbacks/complete", token: token, json: report).status == 200)
            var due: Set<UUID> = []
            for task in all {
                let rows = try await world.database.query(
                    "SELECT 1 FROM jobs WHERE run_after <= now() AND task_id = \(task)"
                ).collect()
                if !rows.isEmpty { due.insert(task) }
            }
            #expect(due == [sameIssue, sameRequester])
        }
    }

    @Test func aScriptTaskGetsNoSpecUnlessTheOperatorEnabledTheScriptAgent() async throws {
        var options = CallbackWorld.Options()
        options.allowScriptAgent = false
        try await CallbackWorld.run(options) { world in
            let id = try await world.start(script: "echo hi", image: "sleeper")
            let answer = try await world.call(.GET, world.attemptPath(id) + "/spec", token: try await world.token(id))
            #expect(answer.status == 409)
            #expect(answer.body.contains("the script agent is disabled"))
        }
    }

    @Test func aPullRequestFromABranchNeverPushedStillGetsTheFinalCommentSayingWhy() async throws {
        try await CallbackWorld.run { world in
            let (id, token) = try await Self.running(world)
            let spec = try Self.json(try await world.call(.GET, world.attemptPath(id) + "/spec", token: token).body)
            let branch = try #require(spec["branch"] as? String)
            let report = try Self.completion(
                id, ["status": "succeeded", "branch": branch, "head_sha": String(repeating: "a", count: 40)])
            #expect(try await world.call(.POST, "/callbacks/complete", token: token, json: report).status == 200)
            try await world.deliver()
            #expect(world.emulator.pullRequests(owner: "acme", repo: "widgets").isEmpty)
            let comment = try #require(world.dispatch.comments.first { $0.contains("✅ succeeded") })
            #expect(
                comment.contains(
                    "the pull request could not be opened: the branch `\(branch)` does not exist, so the worker's "
                        + "commit aaaaaaa is not on it."), "\(comment)")
            let timeline = try await world.timeline(id)
            #expect(timeline.contains { $0.hasPrefix("pull_request: the pull request could not be opened") })
        }
    }

    @Test func aStopAskedForWhileTheWorkerRanEndsTheTaskCancelledWithItsBranchAndNoPullRequest() async throws {
        try await CallbackWorld.run { world in
            let (id, token) = try await Self.running(world)
            let (branch, sha) = try await Self.pushWork(world, id, token: token)
            try await world.database.query("UPDATE tasks SET cancel_requested_at = now() WHERE id = \(id)")
            let report = try Self.completion(id, ["status": "succeeded", "branch": branch, "head_sha": sha])
            let answer = try await world.call(.POST, "/callbacks/complete", token: token, json: report)
            #expect(try Self.json(answer.body)["task_status"] as? String == "cancelled")
            try await world.deliver()
            #expect(try await world.dispatch.status(id).0 == "cancelled")
            #expect(world.emulator.pullRequests(owner: "acme", repo: "widgets").isEmpty)
            let comment = try #require(world.dispatch.comments.first { $0.contains("🛑 cancelled") })
            #expect(comment.contains("`\(branch)`"))
            #expect(world.dispatch.labels == ["porter:cancelled"])
        }
    }

    @Test func theTokenStopsServingWorkAtTheDeadlineButStillCarriesTheReport() async throws {
        try await CallbackWorld.run { world in
            let (id, token) = try await Self.running(world)
            let (branch, sha) = try await Self.pushWork(world, id, token: token)
            // The deadline has just passed, as it does for a worker stopped at it and pushing.
            try await world.database.query(
                "UPDATE tasks SET deadline_at = now() - interval '1 second' WHERE id = \(id)")
            let spec = try await world.call(.GET, world.attemptPath(id) + "/spec", token: token)
            #expect(spec.status == 401)
            let beat = try await world.call(.POST, world.attemptPath(id) + "/heartbeat", token: token, json: "{}")
            #expect(beat.status == 401)
            let report = try Self.completion(id, ["status": "timed_out", "branch": branch, "head_sha": sha])
            #expect(try await world.call(.POST, "/callbacks/complete", token: token, json: report).status == 200)
            try await world.deliver()
            #expect(try await world.dispatch.status(id).0 == "timed_out")
            #expect(world.emulator.pullRequests(owner: "acme", repo: "widgets").first?.draft == true)
            let expires = try await world.database.query(
                """
                SELECT extract(epoch FROM a.token_expires_at - t.deadline_at)::integer
                FROM task_attempts AS a JOIN tasks AS t ON t.id = a.task_id WHERE t.id = \(id)
                """
            ).collect().first!.decode(Int.self)
            // The dispatcher wrote the original deadline; only the test moved it.
            #expect(expires >= Int(TaskToken.reportGrace))
        }
    }

    @Test func aSpecGitHubWillNeverAllowEndsTheTaskInsteadOfLeavingItHanging() async throws {
        try await CallbackWorld.run { world in
            let (id, token) = try await Self.running(world)
            // The App lost access to the repository after the task started.
            world.emulator.faults.add(
                .init(
                    method: "POST", pathPrefix: "/app/installations", status: 422,
                    body:
                        #"{"message":"There is at least one repository that does not exist or is not accessible to the parent installation."}"#,
                    remaining: 5))
            let answer = try await world.call(.GET, world.attemptPath(id) + "/spec", token: token)
            #expect(answer.status == 409)
            #expect(answer.body.contains("GitHub answered 422"))
            try await world.deliver()
            #expect(try await world.dispatch.status(id).0 == "failed")
            #expect(world.dispatch.comments.contains { $0.contains("could not prepare the worker") })
        }
    }

    @Test func aReportWithNulCharactersOrAnImpossibleAttemptIsHandledNotRetriedForever() async throws {
        try await CallbackWorld.run { world in
            let (id, token) = try await Self.running(world)
            let huge = try await world.call(
                .POST, "/callbacks/complete", token: token,
                json: try Self.completion(id, ["status": "failed", "attempt": 3_000_000_000]))
            #expect(huge.status == 400)
            let path = "/callbacks/tasks/\(id.uuidString.lowercased())/attempts/3000000000/heartbeat"
            #expect(try await world.call(.POST, path, token: token, json: "{}").status == 400)
            let report =
                #"{"task_id":"\#(id.uuidString)","status":"failed","error":"bad\u0000byte","log_tail":"a\u0000b"}"#
            let answer = try await world.call(.POST, "/callbacks/complete", token: token, json: report)
            #expect(answer.status == 200)
            let reason = try await world.dispatch.status(id).1
            #expect(reason == "badbyte")
        }
    }

    @Test func aHeartbeatLeavesAnAttemptItsDispatcherHasNotFinishedToThatDispatcher() async throws {
        try await CallbackWorld.run { world in
            let (id, token) = try await Self.running(world)
            // As after a crash between the Machine's create and its being recorded: the dispatcher's
            // recovery finds the attempt by this state and relaunches into the same Machine.
            try await world.database.query("UPDATE task_attempts SET state = 'creating' WHERE task_id = \(id)")
            let beat = try await world.call(.POST, world.attemptPath(id) + "/heartbeat", token: token, json: "{}")
            #expect(beat.status == 200)
            let state = try await world.database.query(
                "SELECT state, last_heartbeat_at IS NOT NULL FROM task_attempts WHERE task_id = \(id)"
            ).collect().first!.decode((String, Bool).self)
            #expect(state == ("creating", true))
        }
    }

    @Test func aSupersededAttemptsReportIsKeptButDecidesNothing() async throws {
        try await CallbackWorld.run { world in
            let (id, token) = try await Self.running(world)
            // A later attempt began (a relaunch); the first attempt's worker still reports.
            try await world.database.query(
                """
                INSERT INTO task_attempts (task_id, number, runtime, machine_name, state)
                VALUES (\(id), 2, 'fly', \("second-\(id)"), 'creating')
                """)
            let branch = try await world.database.query("SELECT branch FROM tasks WHERE id = \(id)").collect()
                .first!.decode(String.self)
            let report = try Self.completion(
                id, ["attempt": 1, "status": "succeeded", "branch": branch, "head_sha": "abcdef1234567"])
            let answer = try await world.call(.POST, "/callbacks/complete", token: token, json: report)
            #expect(answer.status == 200)
            #expect(try Self.json(answer.body)["task_status"] as? String == "running")
            let task = try await world.database.query("SELECT status, head_sha FROM tasks WHERE id = \(id)")
                .collect().first!.decode((String, String?).self)
            #expect(task == ("running", nil))
            let recorded = try await world.database.query(
                "SELECT reported_status, head_sha FROM task_attempts WHERE task_id = \(id) AND number = 1"
            ).collect().first!.decode((String?, String?).self)
            #expect(recorded == ("succeeded", "abcdef1234567"))
            #expect(world.emulator.pullRequests(owner: "acme", repo: "widgets").isEmpty)
        }
    }
}
