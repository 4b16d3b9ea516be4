import Foundation
import HTTPTypes
import Hummingbird
import Logging
import PorterKit

/// The history's JSON and CSV beside `GET /api/tasks/history`, with the same filters and the same
/// visibility: `facets` (type-ahead for the filter form), `stats` (the stat cards) and `history.csv`
/// (the whole filtered history, streamed).
struct HistoryAPI {
    let store: PostgresTaskListStore
    let visibility: TaskVisibility
    let logger: Logger

    /// Rows per query while the CSV streams: memory stays at one batch whatever the history's length.
    static let csvBatch = 500

    struct Facets: Encodable {
        var field: String
        var suggestions: [TaskSuggestion]
    }

    func add(to router: Router<WebContext>) {
        router.get("/api/tasks/facets") { request, context in
            let user = try context.requireUser()
            let query = request.formQuery
            guard let name = query.get("field"), let facet = TaskFacet(rawValue: name) else {
                throw WebError.badRequest("field is one of repo, branch, issue.", code: "invalid_field")
            }
            let filter = try TaskListAPI.filter(query).without(facet)
            let typed = String((query.get("q") ?? "").prefix(200))
            let repositories = try await visibility.repositories(of: user)
            let suggestions = try await store.suggestions(
                facet, containing: typed, userID: user.id, repositories: repositories, filter: filter,
                limit: HistoryPages.suggestionCount)
            return JSONAnswer.make(Facets(field: facet.rawValue, suggestions: suggestions))
        }
        router.get("/api/tasks/stats") { request, context in
            let user = try context.requireUser()
            let filter = try TaskListAPI.filter(request.formQuery)
            let repositories = try await visibility.repositories(of: user)
            return JSONAnswer.make(try await store.stats(userID: user.id, repositories: repositories, filter: filter))
        }
        router.get("/api/tasks/history.csv") { request, context in
            let user = try context.requireUser()
            let filter = try TaskListAPI.filter(request.formQuery)
            let repositories = try await visibility.repositories(of: user)
            return try await csv(user: user, repositories: repositories, filter: filter)
        }
    }

    /// Every matching task, newest first, written batch by batch as the client reads: the next batch is
    /// asked for only once the previous one is written. The first batch is read before the headers
    /// go out, so a database that cannot answer gives an error status rather than a cut-off file; a
    /// failure later ends the response without its last chunk, which clients report as incomplete.
    func csv(user: SignedInUser, repositories: [Int64], filter: TaskFilter) async throws -> Response {
        let store = store
        let logger = logger
        let first = try await store.page(
            userID: user.id, repositories: repositories, filter: filter, after: nil, limit: Self.csvBatch)
        var headers = HTTPFields()
        headers[.contentType] = "text/csv; charset=utf-8"
        headers[.contentDisposition] = #"attachment; filename="porter-history-\#(Self.day(Date())).csv""#
        headers[.cacheControl] = "no-store"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        let body = ResponseBody { writer in
            var batch = first
            var buffer = ByteBuffer(string: TaskCSV.header)
            var rows = 0
            do {
                while true {
                    for task in batch.tasks { buffer.writeString(TaskCSV.row(task)) }
                    rows += batch.tasks.count
                    try await writer.write(buffer)
                    buffer.clear()
                    guard let next = batch.next else { break }
                    batch = try await store.page(
                        userID: user.id, repositories: repositories, filter: filter, after: next,
                        limit: Self.csvBatch)
                }
            } catch {
                logger.warning(
                    "history CSV ended early",
                    metadata: ["rows": "\(rows)", "error": "\(String(reflecting: error))"])
                throw error
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    static func day(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC")!).year().month().day())
    }
}
