import Foundation
import Logging
import PorterKit
import PorterTestSupport
import PostgresNIO
import Testing

@Suite struct MigratorTests {
    let logger = TestDatabase.logger
    /// Versions may have gaps (each branch numbers its own), so the newest is not the count.
    static let newest = Migration.all.map(\.version).max()!

    @Test func migratingAnEmptyDatabaseAppliesEveryMigrationOnce() async throws {
        try await TestDatabase.withClient(migrated: false) { client, _ in
            #expect(
                try await SchemaStatus.check(client, logger: logger)
                    == .behind(applied: 0, expected: Self.newest))
            let applied = try await Migrator(logger: logger).migrate(client)
            #expect(applied == Migration.all.map(\.version))
            #expect(try await Migrator(logger: logger).migrate(client).isEmpty)
            #expect(try await SchemaStatus.check(client, logger: logger) == .current(version: Self.newest))
        }
    }

    @Test func concurrentMigratorsApplyEachMigrationOnce() async throws {
        try await TestDatabase.withDatabase(migrated: false) { url in
            let appliedByEach = try await withThrowingTaskGroup(of: [Int].self) { group in
                for _ in 0..<5 {
                    group.addTask {
                        try await withPostgres(url, logger: logger) { try await Migrator(logger: logger).migrate($0) }
                    }
                }
                return try await group.reduce(into: [[Int]]()) { $0.append($1) }
            }
            #expect(appliedByEach.flatMap { $0 }.sorted() == Migration.all.map(\.version))
            let rows = try await withPostgres(url, logger: logger) { client in
                try await client.query(
                    "SELECT version, count(*) FROM schema_migrations GROUP BY version", logger: logger
                )
                .collect().map { try $0.decode((Int, Int).self) }
            }
            #expect(rows.count == Migration.all.count)
            #expect(rows.allSatisfy { $0.1 == 1 })
        }
    }

    @Test func anAppliedMigrationThisBuildDoesNotKnowIsAnError() async throws {
        try await TestDatabase.withClient { client, _ in
            try await client.query("INSERT INTO schema_migrations (version, name) VALUES (999, 'from the future')")
            await #expect(throws: MigrationError.self) { try await Migrator(logger: logger).migrate(client) }
            #expect(
                try await SchemaStatus.check(client, logger: logger)
                    == .ahead(applied: 999, expected: Self.newest))
        }
    }

    @Test func aFailingMigrationIsRolledBackWhole() async throws {
        let broken =
            Migration.all + [
                Migration(
                    version: Self.newest + 1, name: "broken",
                    statements: [
                        "CREATE TABLE half_done (id int)", "SELECT * FROM no_such_table",
                    ])
            ]
        try await TestDatabase.withClient { client, _ in
            await #expect(throws: MigrationError.self) {
                try await Migrator(migrations: broken, logger: logger).migrate(client)
            }
            let leftover = try await client.query("SELECT to_regclass('half_done') IS NOT NULL").collect().first?
                .decode(Bool.self)
            #expect(leftover == false)
            #expect(try await SchemaStatus.check(client, migrations: broken, logger: logger).isCurrent == false)
        }
    }

    /// Tasks stored before follow-ups existed read back as issue tasks, with no origin and no comment kind.
    @Test func tasksFromBeforeFollowUpsAreIssueTasksAfterMigrating() async throws {
        try await TestDatabase.withClient(migrated: false) { client, _ in
            let before = Migration.all.filter { $0.version < 17 }
            _ = try await Migrator(migrations: before, logger: logger).migrate(client)
            let id = UUID()
            try await client.query(
                """
                INSERT INTO tasks (id, installation_id, repository_id, repository_full_name, issue_number,
                    is_pull_request, requester_id, requester_login, agent, instructions, trigger_comment_id)
                VALUES (\(id), 1, 42, 'octo/repo', 12, true, 9, 'octocat', 'claude', 'fix it', 555)
                """, logger: logger)
            #expect(
                try await Migrator(logger: logger).migrate(client) == Migration.all.map(\.version).filter { $0 >= 17 })
            let task = try #require(try await PostgresTaskRepository(client: client, logger: logger).find(id: id))
            #expect(task.kind == .issue)
            #expect(task.followUpOf == nil)
            #expect(task.triggerCommentKind == nil)
            #expect(task.triggerCommentID == 555)
            #expect(try await PostgresTaskRepository(client: client, logger: logger).followUp(taskID: id) == nil)
        }
    }

    @Test func transitionTableInTheDatabaseMatchesTheStateMachine() async throws {
        try await TestDatabase.withClient { client, _ in
            var stored = Set<String>()
            for try await (from, to) in try await client.query(
                "SELECT from_status, to_status FROM task_status_transitions"
            ).decode((String, String).self) {
                stored.insert("\(from)->\(to)")
            }
            let defined = Set(
                TaskStatus.allCases.flatMap { from in from.successors.map { "\(from.rawValue)->\($0.rawValue)" } })
            #expect(stored == defined)
        }
    }
}
