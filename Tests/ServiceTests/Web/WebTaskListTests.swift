import Foundation
import HTTPTypes
import PorterKit
import PorterTestSupport
import PostgresNIO
import Testing

@testable import WebAPI

/// The feed and history lists: only what the person may see, newest first, page by page with no
/// task twice or missed, filters that match literally.
@Suite(.timeLimit(.minutes(3))) struct WebTaskListTests {
    /// A queued task on `repository` issue `number`, `minutesAgo` old, titled `title`.
    @discardableResult
    func task(
        _ world: WebWorld, repository: (id: Int, installation: Int, name: String), number: Int, requester: String,
        title: String, minutesAgo: Int, agent: Agent = .claude
    ) async throws -> UUID {
        let created = try await PostgresTaskRepository(client: world.database, logger: TestDatabase.logger).create(
            NewTask(
                issue: IssueReference(
                    installationID: Int64(repository.installation), repositoryID: Int64(repository.id),
                    repositoryFullName: repository.name, number: number),
                requester: Requester(id: Int64(world.github.addUser(requester)), login: requester),
                request: TaskRequest(agent: agent, instructions: "do it")))
        try await world.database.query(
            """
            UPDATE tasks SET issue_title = \(title), created_at = now() - make_interval(mins => \(minutesAgo)::integer)
            WHERE id = \(created.id)
            """)
        return created.id
    }

    func widgets(_ world: WebWorld) -> (id: Int, installation: Int, name: String) {
        (world.repositoryID, world.installationID, "acme/widgets")
    }

    @Test func theFeedShowsOwnTasksAndReachableRepositoriesButNoOneElsesPrivateOnes() async throws {
        try await WebWorld.run { world in
            let vaultID = try await world.github.addRepository(owner: "secretco", name: "vault")
            let vaultInstallation = world.github.addInstallation(account: "secretco")
            let vault = (vaultID, vaultInstallation, "secretco/vault")
            let mine = try await task(
                world, repository: widgets(world), number: 1, requester: "octo", title: "Mine", minutesAgo: 3)
            let colleague = try await task(
                world, repository: widgets(world), number: 2, requester: "colleague", title: "A colleague's",
                minutesAgo: 2)
            let hidden = try await task(
                world, repository: vault, number: 1, requester: "secretco", title: "Top secret", minutesAgo: 1)
            let browser = try await world.signedIn("octo")
            let feed = try await browser.get("/api/tasks").json()
            let ids = (feed["tasks"] as? [[String: Any]])?.compactMap { $0["id"] as? String } ?? []
            #expect(ids == [colleague, mine].map { $0.uuidString.lowercased() })
            #expect(!ids.contains(hidden.uuidString.lowercased()))
            #expect((feed["counts"] as? [String: Int])?["queued"] == 2)
            let searched = try await browser.get("/api/tasks/history?search=secret").json()
            #expect((searched["tasks"] as? [Any])?.isEmpty == true)
            #expect(searched["total"] as? Int == 0)
            let byRepo = try await browser.get("/api/tasks/history?repo=secretco/vault").json()
            #expect(byRepo["total"] as? Int == 0)
        }
    }

    @Test func pagesFollowOneAnotherByCursorWithNoTaskTwiceOrMissed() async throws {
        try await WebWorld.run { world in
            var created: [UUID] = []
            for number in 1...7 {
                created.append(
                    try await task(
                        world, repository: widgets(world), number: number, requester: "octo", title: "Task \(number)",
                        minutesAgo: 10 - number))
            }
            let browser = try await world.signedIn("octo")
            var seen: [String] = []
            var cursor: String? = nil
            var pages = 0
            repeat {
                let page = try await browser.get("/api/tasks/history?limit=3" + (cursor.map { "&cursor=\($0)" } ?? ""))
                    .json()
                seen += (page["tasks"] as? [[String: Any]])?.compactMap { $0["id"] as? String } ?? []
                #expect(page["total"] as? Int == 7)
                cursor = page["nextCursor"] as? String
                pages += 1
            } while cursor != nil && pages < 10
            #expect(pages == 3)
            #expect(seen == created.reversed().map { $0.uuidString.lowercased() })
            let bad = try await browser.get("/api/tasks/history?cursor=garbage")
            #expect(bad.status == .badRequest)
            #expect(try bad.json()["error"] as? String == "invalid_cursor")
        }
    }

    @Test func filtersMatchLiterallyWhateverCharactersASearchHolds() async throws {
        try await WebWorld.run { world in
            try await task(
                world, repository: widgets(world), number: 5, requester: "octo", title: "Fix 100% CPU_spin",
                minutesAgo: 3)
            try await task(
                world, repository: widgets(world), number: 6, requester: "octo", title: "Add <b>bold</b> titles",
                minutesAgo: 2,
                agent: .codex)
            let browser = try await world.signedIn("octo")
            func total(_ query: String) async throws -> Int? {
                let answer = try await browser.get("/api/tasks/history?\(query)")
                #expect(answer.status == .ok, "\(query)")
                return try answer.json()["total"] as? Int
            }
            #expect(try await total("search=100%25") == 1)
            #expect(try await total("search=%25") == 1, "a % matches a percent sign, not everything")
            #expect(try await total("search=_") == 1)
            #expect(try await total("search=%27%20OR%201%3D1%20--") == 0)
            #expect(try await total("search=%3Cb%3Ebold") == 1)
            #expect(try await total("search=%236") == 1, "#6 finds issue 6")
            #expect(try await total("agent=codex") == 1)
            #expect(try await total("agent=claude-code") == 1)
            #expect(try await total("issueNumber=5") == 1)
            #expect(try await total("repo=ACME/Widgets") == 2)
            #expect(try await total("status=queued") == 2)
            #expect(try await total("status=running") == 0)
            #expect(try await total("from=2000-01-01&to=2000-01-02") == 0)
            for bad in ["status=done", "agent=hal", "issueNumber=-1", "from=yesterday", "limit=0", "limit=1000"] {
                #expect(try await browser.get("/api/tasks/history?\(bad)").status == .badRequest, "\(bad)")
            }
            let answer = try await browser.get("/api/tasks/history?search=bold")
            #expect(answer.headers[.contentType] == "application/json; charset=utf-8")
            #expect(answer.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff", "never sniffed as HTML")
        }
    }
}
