import Foundation
import HTTPTypes
import PorterKit
import PorterTestSupport
import PostgresNIO
import Testing

@testable import WebAPI

/// `/history`, its stat cards, type-ahead and CSV: the same filters and the same visibility as the
/// history API, whatever the filters hold, and a CSV that opens safely in a spreadsheet.
@Suite(.timeLimit(.minutes(3))) struct WebHistoryTests {
    typealias Repository = (id: Int, installation: Int, name: String)

    func widgets(_ world: WebWorld) -> Repository { (world.repositoryID, world.installationID, "acme/widgets") }

    /// secretco/vault, private, installed for secretco only: octo can reach none of it.
    func vault(_ world: WebWorld) async throws -> Repository {
        let id = try await world.github.addRepository(owner: "secretco", name: "vault")
        return (id, world.github.addInstallation(account: "secretco"), "secretco/vault")
    }

    /// A task row as the services leave it. Times are seconds: `ago` before now for `created_at`,
    /// `started` after creation, and `ran` from the start (or from creation, when it never started)
    /// to `finished_at`.
    @discardableResult
    func task(
        _ world: WebWorld, on repository: Repository, number: Int = 1, title: String? = "A task",
        requester: String = "octo", agent: String = "claude", status: TaskStatus = .queued, branch: String? = nil,
        pullRequest: Int? = nil, ago: Double = 600, started: Double? = nil, ran: Double? = nil
    ) async throws -> UUID {
        let id = UUID()
        let created = Date().addingTimeInterval(-ago)
        let startedAt = started.map { created.addingTimeInterval($0) }
        let finishedAt = ran.map { (startedAt ?? created).addingTimeInterval($0) }
        let url = pullRequest.map { "https://github.com/\(repository.name)/pull/\($0)" }
        try await world.database.query(
            """
            INSERT INTO tasks (id, installation_id, repository_id, repository_full_name, issue_number, requester_id,
                requester_login, agent, issue_title, branch, pull_request_number, pull_request_url, created_at)
            VALUES (\(id), \(Int64(repository.installation)), \(Int64(repository.id)), \(repository.name),
                \(number), \(Int64(world.github.addUser(requester))), \(requester), \(agent), \(title), \(branch),
                \(pullRequest), \(url), \(created))
            """)
        // Every task starts queued and moves only along the allowed transitions.
        let path: [TaskStatus] =
            switch status {
            case .queued: []
            case .cancelled where started == nil: [.cancelled]
            case .dispatching: [.dispatching]
            default: [.dispatching, .running] + (status == .running ? [] : [status])
            }
        for next in path {
            try await world.database.query("UPDATE tasks SET status = \(next.rawValue) WHERE id = \(id)")
        }
        try await world.database.query(
            "UPDATE tasks SET started_at = \(startedAt), finished_at = \(finishedAt) WHERE id = \(id)")
        return id
    }

    /// The task ids a history page lists, in order.
    func rows(_ page: Page) -> [String] {
        page.body.matches(of: /href="\/tasks\/([0-9a-f-]{36})"/).map { String($0.output.1) }
    }

    /// The href of the link with `id`, as a browser would follow it.
    func link(_ id: String, in page: Page) -> String? {
        let pattern = try! Regex<(Substring, Substring)>(#"href="([^"]*)" id="\#(id)""#)
        return page.body.firstMatch(of: pattern).map {
            String($0.output.1).replacingOccurrences(of: "&amp;", with: "&")
        }
    }

    @Test func thePageShowsTheFiltersTheURLHoldsAndOnlyTasksThePersonMaySee() async throws {
        try await WebWorld.run { world in
            let vault = try await vault(world)
            let wanted = try await task(
                world, on: widgets(world), number: 5, title: "Fix crash on start", agent: "codex", branch: "porter/fix",
                ago: 120)
            let colleague = try await task(
                world, on: widgets(world), number: 6, title: "A colleague's task", requester: "colleague", ago: 60)
            try await task(world, on: vault, number: 1, title: "Top secret plans", requester: "secretco", ago: 30)
            let browser = try await world.signedIn("octo")

            let all = try await browser.get("/history")
            #expect(all.status == .ok)
            #expect(all.headers[.contentType] == "text/html; charset=utf-8")
            #expect(rows(all) == [colleague, wanted].map { $0.uuidString.lowercased() })
            #expect(all.body.contains(#"href="/history" aria-current="page""#), "History is the current section")
            // The type-ahead's offers come after a page they were not ready for (its script asks for them
            // as typing would), then with the page once they are.
            #expect(all.body.contains(#"<datalist id="repo-options" data-later></datalist>"#), "\(all.body)")
            let offers = try await browser.get("/api/tasks/facets?field=repo&q=").json()
            #expect(
                (offers["suggestions"] as? [[String: Any]])?.compactMap { $0["value"] as? String } == ["acme/widgets"])
            _ = try await browser.get("/api/tasks/facets?field=branch&q=")
            let offered = try await browser.get("/history")
            #expect(offered.body.contains(#"<datalist id="repo-options"><option value="acme/widgets">"#))
            #expect(offered.body.contains(#"<option value="porter/fix">"#), "the branch type-ahead")
            for page in [all, offered] {
                for hidden in ["Top secret", "secretco/vault"] { #expect(!page.body.contains(hidden), "\(hidden)") }
            }

            let query =
                "search=fix+crash&repo=acme%2Fwidgets&branch=porter%2Ffix&issueNumber=5&agent=codex&status=queued"
                + "&from=2000-01-01&to=2999-12-31"
            let filtered = try await browser.get("/history?" + query)
            #expect(filtered.status == .ok)
            #expect(rows(filtered) == [wanted.uuidString.lowercased()])
            for echoed in [
                #"name="search" type="search" value="fix crash""#,
                #"name="repo" list="repo-options" value="acme/widgets""#,
                #"name="branch" list="branch-options" value="porter/fix""#,
                #"name="issueNumber" list="issue-options" value="5""#,
                #"<option value="codex" selected>"#, #"<option value="queued" selected>"#,
                #"name="from" type="date" value="2000-01-01""#, #"name="to" type="date" value="2999-12-31""#,
            ] {
                #expect(filtered.body.contains(echoed), "\(echoed)")
            }
            #expect(
                link("download-csv", in: filtered)
                    == "/api/tasks/history.csv?search=fix%20crash&repo=acme%2Fwidgets&branch=porter%2Ffix&issueNumber=5"
                    + "&agent=codex&status=queued&from=2000-01-01&to=2999-12-31")
            #expect(link("clear-filters", in: filtered) == "/history")

            let nothing = try await browser.get("/history?agent=gemini")
            #expect(rows(nothing).isEmpty)
            #expect(nothing.body.contains("No task matches these filters."))
            let stranger = try await world.signedIn("stranger")
            let empty = try await stranger.get("/history")
            #expect(rows(empty).isEmpty)
            #expect(empty.body.contains("No tasks yet."))
        }
    }

    @Test func pagesFollowByCursorKeepingTheFiltersUntilTheLastOne() async throws {
        try await WebWorld.run { world in
            var created: [UUID] = []
            for number in 1...7 {
                created.append(try await task(world, on: widgets(world), number: number, ago: Double(100 - number)))
            }
            try await task(world, on: widgets(world), number: 8, agent: "codex", ago: 1)
            let browser = try await world.signedIn("octo")
            var seen: [String] = []
            var next: String? = "/history?agent=claude&limit=3"
            var pages: [Page] = []
            while let path = next, pages.count < 5 {
                let page = try await browser.get(path)
                #expect(page.status == .ok)
                seen += rows(page)
                pages.append(page)
                next = link("older-page", in: page)
                if let next { #expect(next.hasPrefix("/history?agent=claude&limit=3&cursor="), "\(next)") }
            }
            #expect(seen == created.reversed().map { $0.uuidString.lowercased() })
            #expect(pages.count == 3)
            #expect(link("newest-page", in: pages[0]) == nil)
            #expect(link("newest-page", in: pages[2]) == "/history?agent=claude&limit=3")
            // The cards count every task, not a page's: shown with the page once counted, else fetched after it.
            let figures = try await browser.get("/history/figures?agent=claude")
            #expect(figures.body.contains(#"<strong class="stat-value">7</strong>"#), "\(figures.body)")
            #expect(
                pages.allSatisfy {
                    $0.body.contains(#"<strong class="stat-value">7</strong>"#)
                        || $0.body.contains(#"data-src="/history/figures?agent=claude""#)
                })
            let counted = try await browser.get("/history?agent=claude&limit=3")
            #expect(
                counted.body.contains(#"<strong class="stat-value">7</strong>"#), "counted once, shown with the page")
        }
    }

    @Test func anotherPersonsPrivateRepositoryIsAbsentFromFiltersFacetsStatsAndCSV() async throws {
        try await WebWorld.run { world in
            let vault = try await vault(world)
            try await task(world, on: widgets(world), number: 1, title: "Visible work", branch: "porter/visible")
            try await task(
                world, on: vault, number: 7, title: "Top secret plans", requester: "secretco", status: .succeeded,
                branch: "porter/secret-plans", pullRequest: 9, started: 5, ran: 50)
            let octo = try await world.signedIn("octo")

            let page = try await octo.get("/history?repo=secretco%2Fvault")
            #expect(page.status == .ok)
            #expect(rows(page).isEmpty)
            #expect(!page.body.contains("Top secret"))
            for (field, typed) in [("repo", "secret"), ("branch", "secret"), ("issue", "Top"), ("issue", "7")] {
                let facets = try await octo.get("/api/tasks/facets?field=\(field)&q=\(typed)")
                #expect(facets.status == .ok)
                #expect((try facets.json()["suggestions"] as? [Any])?.isEmpty == true, "\(field) \(typed)")
            }
            let stats = try await octo.get("/api/tasks/stats").json()
            #expect(stats["tasks"] as? Int == 1)
            #expect(stats["pullRequestsOpened"] as? Int == 0)
            #expect(try await octo.get("/api/tasks/stats?repo=secretco/vault").json()["tasks"] as? Int == 0)
            let csv = try await octo.get("/api/tasks/history.csv")
            #expect(try CSV.parse(csv.body).count == 2, "the header and the visible task")
            #expect(!csv.body.contains("secret"))
            #expect(try CSV.parse(try await octo.get("/api/tasks/history.csv?search=Top").body).count == 1)

            // The one who asked for it finds it everywhere: the same requests can tell.
            let owner = try await world.signedIn("secretco")
            let theirs = try await owner.get("/api/tasks/facets?field=branch&q=SECRET").json()
            #expect(
                (theirs["suggestions"] as? [[String: Any]])?.map { $0["value"] as? String } == ["porter/secret-plans"])
            let issue = try await owner.get("/api/tasks/facets?field=issue&q=Top").json()
            #expect(
                (issue["suggestions"] as? [[String: Any]])?.first?["label"] as? String
                    == "secretco/vault#7 Top secret plans")
            #expect(try await owner.get("/api/tasks/stats").json()["pullRequestsOpened"] as? Int == 1)
            #expect(try await owner.get("/api/tasks/history.csv").body.contains("Top secret plans"))
        }
    }

    @Test func aSearchWithSQLAndHTMLMetacharactersMatchesLiterallyAndIsEscaped() async throws {
        try await WebWorld.run { world in
            let title = "Quote '; DROP TABLE tasks; -- and <script>alert(1)</script> at 100% for snake_case"
            let odd = try await task(world, on: widgets(world), number: 1, title: title, branch: "porter/100%_odd")
            try await task(world, on: widgets(world), number: 2, title: "Plain title", branch: "porter/plain")
            try await task(world, on: widgets(world), number: 3, title: "Percent sign missing, underscore too")
            let browser = try await world.signedIn("octo")
            for search in ["'; DROP TABLE tasks; --", "<script>", "%", "_", "100%", "e_c"] {
                var allowed = CharacterSet.alphanumerics
                allowed.insert(charactersIn: "-._~")
                let encoded = search.addingPercentEncoding(withAllowedCharacters: allowed)!
                let page = try await browser.get("/history?search=\(encoded)")
                #expect(page.status == .ok, "\(search)")
                #expect(rows(page) == [odd.uuidString.lowercased()], "\(search)")
                #expect(!page.body.contains("<script>alert"), "\(search)")
                #expect(page.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "\(search)")
                let echoed = search.replacingOccurrences(of: "'", with: "&#39;").replacingOccurrences(
                    of: "<", with: "&lt;"
                )
                .replacingOccurrences(of: ">", with: "&gt;")
                #expect(page.body.contains(#"type="search" value="\#(echoed)""#), "\(search)")
                let stats = try await browser.get("/api/tasks/stats?search=\(encoded)").json()
                #expect(stats["tasks"] as? Int == 1, "\(search)")
                let csv = try CSV.parse(try await browser.get("/api/tasks/history.csv?search=\(encoded)").body)
                #expect(csv.dropFirst().map { $0[0] } == [odd.uuidString.lowercased()], "\(search)")
            }
            for typed in ["%", "_", "100%_"] {
                let encoded = typed.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
                let facets = try await browser.get("/api/tasks/facets?field=branch&q=\(encoded)").json()
                #expect(
                    (facets["suggestions"] as? [[String: Any]])?.map { $0["value"] as? String } == ["porter/100%_odd"],
                    "\(typed)")
            }
            let count = try await world.database.query("SELECT count(*) FROM tasks").collect()
            #expect(try count.first?.decode(Int.self) == 3, "the table is still there")
        }
    }

    @Test func theCSVQuotesWhatMustBeQuotedAndNeutralisesFormulas() async throws {
        try await WebWorld.run { world in
            let titles = [
                "Commas, in the title", #"She said "ship it""#, "Line one\nLine two", "Carriage\r\nreturn",
                #"=HYPERLINK("https://evil.example","click")"#, "+1 more", "-2 fewer", "@SUM(A1:A9)",
                "\tTabbed", "Plain",
            ]
            var ids: [String: String] = [:]
            for (index, title) in titles.enumerated() {
                let id = try await task(
                    world, on: widgets(world), number: index + 1, title: title, status: .succeeded,
                    branch: index == 0 ? "=cmd|' /C calc'!A0" : nil, pullRequest: index == 1 ? 42 : nil,
                    ago: Double(1000 - index), started: 3, ran: 90)
                ids[id.uuidString.lowercased()] = title
            }
            let browser = try await world.signedIn("octo")
            let answer = try await browser.get("/api/tasks/history.csv")
            #expect(answer.status == .ok)
            #expect(answer.headers[.contentType] == "text/csv; charset=utf-8")
            let today = Date().formatted(Date.ISO8601FormatStyle().year().month().day())
            #expect(answer.headers[.contentDisposition] == #"attachment; filename="porter-history-\#(today).csv""#)
            #expect(answer.headers[.cacheControl] == "no-store")
            #expect(answer.body.hasSuffix("\r\n"))
            #expect(answer.body.contains(#""She said ""ship it""""#), "quotes doubled inside quotes")
            let table = try CSV.parse(answer.body)
            #expect(table[0] == TaskCSV.columns)
            #expect(table.count == titles.count + 1)
            let column = Dictionary(uniqueKeysWithValues: TaskCSV.columns.enumerated().map { ($1, $0) })
            for row in table.dropFirst() {
                #expect(row.count == TaskCSV.columns.count)
                let title = try #require(ids[row[column["id"]!]])
                let neutralised = "=+-@\t\r".contains(title.first!) ? "'" + title : title
                #expect(row[column["issue_title"]!] == neutralised)
                #expect(row[column["status"]!] == "succeeded")
                #expect(row[column["duration_seconds"]!] == "90")
                #expect(row[column["created_at"]!].wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/) != nil)
                if title == "Commas, in the title" { #expect(row[column["branch"]!] == "'=cmd|' /C calc'!A0") }
                if title.hasPrefix("She") {
                    #expect(row[column["pull_request_url"]!] == "https://github.com/acme/widgets/pull/42")
                }
            }
        }
    }

    @Test func aCSVOfManyBatchesHasEveryRowExactlyOnceNewestFirst() async throws {
        try await WebWorld.run { world in
            // Seven tasks share each creation time: the cursor must break ties by id across batches.
            try await world.database.query(
                """
                INSERT INTO tasks (id, installation_id, repository_id, repository_full_name, issue_number, requester_id,
                    requester_login, agent, status, issue_title, created_at)
                SELECT gen_random_uuid(), \(Int64(world.installationID)), \(Int64(world.repositoryID)), 'acme/widgets',
                    n, \(Int64(world.github.addUser("octo"))), 'octo', 'claude', 'queued', 'Bulk ' || n,
                    now() - make_interval(secs => (n / 7)::double precision)
                FROM generate_series(1, 1234) AS n
                """)
            #expect(1234 > HistoryAPI.csvBatch * 2)
            let browser = try await world.signedIn("octo")
            let answer = try await browser.get("/api/tasks/history.csv")
            #expect(answer.status == .ok)
            let ids = try CSV.parse(answer.body).dropFirst().map { $0[0] }
            let expected = try await world.database.query("SELECT id FROM tasks ORDER BY created_at DESC, id DESC")
                .collect().map { try $0.decode(UUID.self).uuidString.lowercased() }
            #expect(ids.count == 1234)
            #expect(Set(ids).count == 1234)
            #expect(ids == expected)
            let stats = try await browser.get("/api/tasks/stats").json()
            #expect(stats["tasks"] as? Int == 1234)
        }
    }

    @Test func statFiguresFollowTheSeededDurations() async throws {
        try await WebWorld.run { world in
            let repository = widgets(world)
            // Finished: 60, 120, 180 s succeeded (two with a PR), 240 s failed, 300 s cancelled before it
            // started (measured from creation), 600 s timed out. Not finished: one running, one queued.
            try await task(world, on: repository, number: 1, status: .succeeded, pullRequest: 1, started: 10, ran: 60)
            try await task(world, on: repository, number: 2, status: .succeeded, pullRequest: 2, started: 10, ran: 120)
            try await task(world, on: repository, number: 3, status: .succeeded, started: 10, ran: 180)
            try await task(world, on: repository, number: 4, agent: "codex", status: .failed, started: 10, ran: 240)
            try await task(world, on: repository, number: 5, status: .cancelled, ran: 300)
            try await task(world, on: repository, number: 6, status: .timedOut, started: 10, ran: 600)
            try await task(world, on: repository, number: 7, status: .running, started: 10)
            try await task(world, on: repository, number: 8, status: .queued)
            let browser = try await world.signedIn("octo")

            let all = try await browser.get("/api/tasks/stats").json()
            #expect(all["tasks"] as? Int == 8)
            #expect(all["finished"] as? Int == 6)
            #expect(all["succeeded"] as? Int == 3)
            #expect(all["successRate"] as? Double == 0.5)
            // percentile_cont over [60, 120, 180, 240, 300, 600]: the median between 180 and 240, p90 at
            // position 4.5, halfway from 300 to 600.
            #expect(abs((all["medianDurationSeconds"] as? Double ?? 0) - 210) < 0.01)
            #expect(abs((all["p90DurationSeconds"] as? Double ?? 0) - 450) < 0.01)
            #expect(all["pullRequestsOpened"] as? Int == 2)

            let succeeded = try await browser.get("/api/tasks/stats?status=succeeded").json()
            #expect(succeeded["tasks"] as? Int == 3)
            #expect(succeeded["successRate"] as? Double == 1)
            #expect(abs((succeeded["medianDurationSeconds"] as? Double ?? 0) - 120) < 0.01)
            #expect(abs((succeeded["p90DurationSeconds"] as? Double ?? 0) - 168) < 0.01)

            let unfinished = try await browser.get("/api/tasks/stats?status=queued,running").json()
            #expect(unfinished["tasks"] as? Int == 2)
            #expect(unfinished["successRate"] == nil && unfinished["medianDurationSeconds"] == nil)

            let page = try await browser.get("/history?figures=now")
            for (card, value) in [
                ("stat-tasks", "8"), ("stat-success", "50%"), ("stat-median", "3m 30s"), ("stat-p90", "7m 30s"),
                ("stat-prs", "2"),
            ] {
                let pattern =
                    #"id="\#(card)"><span class="stat-label">[^<]*</span><strong class="stat-value">\#(value)</strong>"#
                #expect(page.body.range(of: pattern, options: .regularExpression) != nil, "\(card) \(value)")
            }
            #expect(page.body.contains("3 of 6 finished"))
            let codex = try await browser.get("/history/figures?agent=codex")
            #expect(codex.body.contains(#"<strong class="stat-value">0%</strong>"#))
        }
    }

    /// Stat cards that are neither counted from web-api's figure table (a filter on title words, branch
    /// or issue is left to the database) nor kept yet come after the page: it shows them as pending, with
    /// where to fetch them, and once counted they come with the page. Cards the table counts come with
    /// the page at once.
    @Test func statCardsNotCountedYetComeAfterThePage() async throws {
        try await WebWorld.run { world in
            try await task(world, on: widgets(world), number: 1, agent: "codex", status: .succeeded, ran: 90)
            let browser = try await world.signedIn("octo")
            let first = try await browser.get("/history?agent=codex&search=task")
            #expect(first.status == .ok)
            let later = "/history/figures?search=task&amp;agent=codex"
            #expect(first.body.contains(#"aria-busy="true" data-src="\#(later)""#), "\(first.body)")
            #expect(
                first.body.contains(
                    #"<a href="/history?search=task&amp;agent=codex&amp;figures=now">Show the figures</a>"#))
            #expect(rows(first).count == 1, "the list does not wait for the figures")

            let cards = try await browser.get("/history/figures?agent=codex&search=task")
            #expect(cards.status == .ok)
            #expect(cards.headers[.contentType] == "text/html; charset=utf-8")
            #expect(cards.body.contains(#"<section class="stat-cards" id="stat-cards""#))
            #expect(!cards.body.contains("aria-busy"))
            #expect(cards.body.contains(#"<strong class="stat-value">100%</strong>"#), "\(cards.body)")
            #expect(cards.body.contains(#"<strong class="stat-value">1m 30s</strong>"#))

            let again = try await browser.get("/history?agent=codex&search=task")
            #expect(!again.body.contains("aria-busy"), "counted once, the figures come with the page")
            #expect(again.body.contains(#"<strong class="stat-value">100%</strong>"#))
            let inline = try await browser.get("/history?agent=claude&figures=now")
            #expect(!inline.body.contains("aria-busy"))
            #expect(
                inline.body.contains(
                    #"id="stat-tasks"><span class="stat-label">Tasks</span><strong class="stat-value">0</strong>"#))
            // Once the figure table is loaded (at web-api's start), a filter it counts never waits.
            try await waitUntil("the figure table counts the cards") {
                !(try await browser.get("/history?agent=claude&from=2020-01-01").body.contains("aria-busy"))
            }
            let counted = try await browser.get("/history?agent=codex&from=2021-01-01")
            #expect(!counted.body.contains("aria-busy"), "never asked before, counted with the page")
            #expect(counted.body.contains(#"<strong class="stat-value">1m 30s</strong>"#))

            #expect(try await browser.get("/history/figures?agent=hal").status == .badRequest)
            let stranger = Browser(world: world)
            let signedOut = try await stranger.get("/history/figures?agent=codex")
            #expect(signedOut.status == .found, "no figures without a session: \(signedOut.status)")
        }
    }

    @Test func badFilterValuesGiveA400OnTheAPIAndAReadableMessageOnThePage() async throws {
        try await WebWorld.run { world in
            try await task(world, on: widgets(world), number: 1)
            let browser = try await world.signedIn("octo")
            let cases: [(query: String, code: String, fields: [String], words: String)] = [
                ("status=done", "invalid_status", ["status"], "done is not a task status."),
                ("agent=hal", "invalid_agent", ["agent"], "hal is not an agent."),
                ("issueNumber=-1", "invalid_issue_number", ["issueNumber"], "Issue is a number, such as 42."),
                ("from=yesterday", "invalid_date", ["from"], "From is a date such as 2026-11-29."),
                ("to=2026-13-45", "invalid_date", ["to"], "To is a date such as 2026-11-29."),
                ("from=2026-03-01&to=2026-02-01", "invalid_date", ["from", "to"], "From must come before To."),
            ]
            for bad in cases {
                for path in ["/api/tasks/history", "/api/tasks/stats", "/api/tasks/history.csv", "/api/tasks/facets"] {
                    let answer = try await browser.get(path + "?field=repo&" + bad.query)
                    #expect(answer.status == .badRequest, "\(path) \(bad.query)")
                    #expect(answer.headers[.contentType] == "application/json; charset=utf-8", "\(path) \(bad.query)")
                    #expect(try answer.json()["error"] as? String == bad.code, "\(path) \(bad.query)")
                }
                let page = try await browser.get("/history?" + bad.query)
                #expect(page.status == .badRequest, "\(bad.query)")
                #expect(page.headers[.contentType] == "text/html; charset=utf-8")
                #expect(
                    page.body.contains(#"<p class="banner error" id="filter-problem" role="alert""#), "\(bad.query)")
                #expect(page.body.contains(bad.words), "\(bad.query)")
                #expect(page.body.contains(#"id="history-filters""#), "the form stays, to fix the value")
                #expect(!page.body.contains("history-table") && !page.body.contains("download-csv"), "\(bad.query)")
                for field in bad.fields {
                    let pattern = #"name="\#(field)"[^>]*aria-invalid="true""#
                    #expect(page.body.range(of: pattern, options: .regularExpression) != nil, "\(bad.query)")
                }
                #expect(
                    page.body.components(separatedBy: #"aria-invalid="true""#).count - 1 == bad.fields.count,
                    "only the fields at fault are marked: \(bad.query)")
            }
            let echoed = try await browser.get("/history?agent=%3Cb%3Ehal")
            #expect(echoed.body.contains("&lt;b&gt;hal is not an agent."))
            #expect(!echoed.body.contains("<b>hal"))
            for query in ["", "field=owner"] {
                let facets = try await browser.get("/api/tasks/facets?" + query)
                #expect(facets.status == .badRequest)
                #expect(try facets.json()["error"] as? String == "invalid_field")
            }
            #expect(try await browser.get("/history?cursor=garbage").status == .badRequest)

            let anonymous = world.browser()
            for path in ["/api/tasks/stats", "/api/tasks/facets?field=repo", "/api/tasks/history.csv"] {
                let answer = try await anonymous.get(path)
                #expect(answer.status == .unauthorized, "\(path)")
                #expect(try answer.json()["error"] as? String == "unauthorized")
            }
            let page = try await anonymous.get("/history?repo=acme%2Fwidgets")
            #expect(page.status == .found)
            #expect(page.location?.hasPrefix("/auth?next=") == true)
        }
    }
}

/// RFC 4180, read strictly: a CR or LF outside quotes that is not a CRLF record end is an error.
enum CSV {
    struct Malformed: Error, CustomStringConvertible {
        var description: String
    }

    static func parse(_ text: String) throws -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = String.UnicodeScalarView()
        var quoted = false
        var atFieldStart = true
        let scalars = Array(text.unicodeScalars)
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            if quoted {
                if scalar == "\"" {
                    if index + 1 < scalars.count, scalars[index + 1] == "\"" {
                        field.append("\"")
                        index += 1
                    } else {
                        quoted = false
                    }
                } else {
                    field.append(scalar)
                }
            } else {
                switch scalar {
                case "\"" where atFieldStart:
                    quoted = true
                case "\"":
                    throw Malformed(description: "a quote inside an unquoted field at \(index)")
                case ",":
                    row.append(String(field))
                    field = .init()
                    atFieldStart = true
                    index += 1
                    continue
                case "\r":
                    guard index + 1 < scalars.count, scalars[index + 1] == "\n" else {
                        throw Malformed(description: "a CR outside quotes at \(index)")
                    }
                    row.append(String(field))
                    rows.append(row)
                    (row, field, atFieldStart) = ([], .init(), true)
                    index += 2
                    continue
                case "\n":
                    throw Malformed(description: "a bare LF outside quotes at \(index)")
                default:
                    field.append(scalar)
                }
            }
            atFieldStart = false
            index += 1
        }
        guard !quoted, row.isEmpty, field.isEmpty else { throw Malformed(description: "the last record is not ended") }
        return rows
    }
}
