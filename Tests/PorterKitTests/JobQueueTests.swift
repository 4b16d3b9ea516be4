import Foundation
import PorterKit
import PorterTestSupport
import PostgresNIO
import Synchronization
import Testing

@Suite struct JobQueueTests {
    static func enqueue(
        _ client: PostgresClient, kind: JobKind = .dispatch, priority: TaskPriority = .normal, count: Int = 1
    )
        async throws
    {
        let queue = PostgresJobQueue(client: client, logger: TestDatabase.logger)
        for _ in 0..<count { try await queue.enqueue(NewJob(kind: kind, priority: priority)) }
    }

    @Test func claimsGoHighThenNormalThenLowThenOldest() async throws {
        try await TestDatabase.withClient { client, _ in
            try await Self.enqueue(client, priority: .low)
            try await Self.enqueue(client, priority: .normal)
            try await Self.enqueue(client, priority: .high)
            try await Self.enqueue(client, priority: .normal)
            let queue = PostgresJobQueue(client: client, logger: TestDatabase.logger)
            var order: [TaskPriority] = []
            var ids: [Int64] = []
            while let job = try await queue.claim(kinds: ["dispatch"], owner: "a", lease: .seconds(30), limit: 1).first
            {
                order.append(job.priority)
                ids.append(job.id)
            }
            #expect(order == [.high, .normal, .normal, .low])
            #expect(ids[1] < ids[2])
        }
    }

    @Test func onlyTheRequestedKindsAreClaimed() async throws {
        try await TestDatabase.withClient { client, _ in
            try await Self.enqueue(client, kind: .control)
            try await Self.enqueue(client, kind: .dispatch)
            let queue = PostgresJobQueue(client: client, logger: TestDatabase.logger)
            let claimed = try await queue.claim(kinds: ["control"], owner: "a", lease: .seconds(30), limit: 10)
            #expect(claimed.map(\.kind) == ["control"])
        }
    }

    @Test func concurrentClaimersNeverShareAJob() async throws {
        try await TestDatabase.withClient { client, _ in
            try await Self.enqueue(client, count: 500)
            let queue = PostgresJobQueue(client: client, logger: TestDatabase.logger)
            let claimed = try await withThrowingTaskGroup(of: [Int64].self) { group in
                for owner in 0..<4 {
                    group.addTask {
                        var mine: [Int64] = []
                        while true {
                            let batch = try await queue.claim(
                                kinds: ["dispatch"], owner: "d\(owner)", lease: .seconds(60), limit: 7)
                            if batch.isEmpty { return mine }
                            mine += batch.map(\.id)
                        }
                    }
                }
                return try await group.reduce(into: [Int64]()) { $0 += $1 }
            }
            #expect(claimed.count == 500)
            #expect(Set(claimed).count == 500)
        }
    }

    @Test func anExpiredLeaseLetsAnotherClaimerTakeTheJobAndTheOldOwnerLosesIt() async throws {
        try await TestDatabase.withClient { client, _ in
            try await Self.enqueue(client)
            let queue = PostgresJobQueue(client: client, logger: TestDatabase.logger)
            let first = try #require(
                try await queue.claim(kinds: ["dispatch"], owner: "crashed", lease: .seconds(60), limit: 1).first)
            #expect(try await queue.claim(kinds: ["dispatch"], owner: "b", lease: .seconds(30), limit: 1).isEmpty)
            // The owner crashed and its lease ran out: set by the clock of the database, not by a sleep that a
            // loaded machine can stretch past a short lease before the check above has even run.
            try await client.query("UPDATE jobs SET lease_expires_at = now() - interval '1 second'")
            let second = try #require(
                try await queue.claim(kinds: ["dispatch"], owner: "b", lease: .seconds(30), limit: 1).first)
            #expect(second.id == first.id)
            #expect(second.attempts == 2)
            #expect(try await queue.complete(first.id, owner: "crashed") == false)
            #expect(try await queue.extend(first.id, owner: "crashed", lease: .seconds(30)) == false)
            #expect(try await queue.complete(second.id, owner: "b") == true)
            #expect(try await client.query("SELECT count(*) FROM jobs").collect().first?.decode(Int.self) == 0)
        }
    }

    /// Completions that arrive together share statements; each caller still learns whether its own
    /// job was its to complete.
    @Test func concurrentCompletionsEachGetTheirOwnAnswer() async throws {
        try await TestDatabase.withClient { client, _ in
            try await Self.enqueue(client, count: 300)
            let queue = PostgresJobQueue(client: client, logger: TestDatabase.logger)
            let first = try await queue.claim(kinds: ["dispatch"], owner: "a", lease: .seconds(60), limit: 200)
            let second = try await queue.claim(kinds: ["dispatch"], owner: "b", lease: .seconds(60), limit: 100)
            // A's lease on every fourth of its jobs ran out and claimer c took them.
            let lost = Set(first.map(\.id).enumerated().filter { $0.offset % 4 == 0 }.map(\.element))
            try await client.query("UPDATE jobs SET lease_owner = 'c' WHERE id = ANY(\(Array(lost)))")
            let answers = try await withThrowingTaskGroup(of: (Int64, Bool).self) { group in
                for (job, owner) in first.map({ ($0, "a") }) + second.map({ ($0, "b") }) {
                    group.addTask { (job.id, try await queue.complete(job.id, owner: owner)) }
                }
                return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
            }
            #expect(answers.count == 300)
            #expect(answers.filter { !$0.value }.map(\.key).sorted() == lost.sorted())
            let left = try await client.query("SELECT id FROM jobs ORDER BY id").collect().map {
                try $0.decode(Int64.self)
            }
            #expect(left == lost.sorted(), "only the jobs claimer c holds are left")
        }
    }

    @Test func aReleasedJobWaitsUntilItsDelayHasPassed() async throws {
        try await TestDatabase.withClient { client, _ in
            try await Self.enqueue(client)
            let queue = PostgresJobQueue(client: client, logger: TestDatabase.logger)
            let job = try #require(
                try await queue.claim(kinds: ["dispatch"], owner: "a", lease: .seconds(30), limit: 1).first)
            #expect(try await queue.release(job.id, owner: "a", after: .seconds(2), error: "fly answered 503"))
            #expect(try await queue.claim(kinds: ["dispatch"], owner: "a", lease: .seconds(30), limit: 1).isEmpty)
            try await Task.sleep(for: .milliseconds(2500))
            let again = try #require(
                try await queue.claim(kinds: ["dispatch"], owner: "b", lease: .seconds(30), limit: 1).first)
            #expect(again.id == job.id)
            let error = try await client.query("SELECT last_error FROM jobs WHERE id = \(job.id)").collect().first?
                .decode(String?.self)
            #expect(error == "fly answered 503")
        }
    }

    @Test func aLeaseCanBeExtendedWhileHeld() async throws {
        try await TestDatabase.withClient { client, _ in
            try await Self.enqueue(client)
            let queue = PostgresJobQueue(client: client, logger: TestDatabase.logger)
            let job = try #require(
                try await queue.claim(kinds: ["dispatch"], owner: "a", lease: .seconds(2), limit: 1).first)
            #expect(try await queue.extend(job.id, owner: "a", lease: .seconds(30)))
            try await Task.sleep(for: .milliseconds(2500))
            #expect(try await queue.claim(kinds: ["dispatch"], owner: "b", lease: .seconds(30), limit: 1).isEmpty)
        }
    }
}

/// The job queue has one owner: nothing outside `PorterKit/Database/Queue` writes the jobs table.
@Suite struct JobQueueOwnershipTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..")
        .standardized

    @Test func onlyTheQueueWritesJobs() throws {
        var writers: [String] = []
        for folder in ["Shared", "Services", "Tests", "benchmarks"] {
            let base = Self.root.appendingPathComponent(folder)
            guard let files = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil) else {
                continue
            }
            for case let file as URL in files where file.pathExtension == "swift" {
                let text = try String(contentsOf: file, encoding: .utf8)
                guard file.lastPathComponent != "JobQueueTests.swift" else { continue }
                if text.range(of: #"INSERT\s+INTO\s+jobs\b"#, options: [.regularExpression, .caseInsensitive]) != nil,
                    !file.path.contains("/PorterKit/Database/Queue/")
                {
                    writers.append(file.path.replacingOccurrences(of: Self.root.path + "/", with: ""))
                }
            }
        }
        #expect(writers.isEmpty, "jobs written outside the queue: \(writers)")
        // The scan really reads the sources: the queue itself is found.
        let queue = try String(
            contentsOf: Self.root.appendingPathComponent("Shared/PorterKit/Database/Queue/PostgresJobQueue.swift"),
            encoding: .utf8)
        #expect(queue.contains("INSERT INTO jobs"))
    }
}
