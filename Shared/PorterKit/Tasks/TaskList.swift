import Foundation
import Logging
import PostgresNIO

/// Which tasks a list shows; every field left nil matches everything.
public struct TaskFilter: Sendable, Hashable {
    public var statuses: [TaskStatus] = []
    public var agent: Agent?
    public var repository: String?
    public var branch: String?
    public var issueNumber: Int?
    /// Words in the issue title, or an issue number.
    public var search: String?
    public var from: Date?
    public var to: Date?

    public init() {}
}

/// Where a page of newest-first tasks ends: the next page starts after it. Keyset, never an offset.
public struct TaskCursor: Sendable, Equatable {
    /// `created_at` in microseconds since 1970, exactly as PostgreSQL holds it: a `Date` carried through
    /// a Double can come back a microsecond short, and a page would then skip tasks created in that
    /// same microsecond.
    public var microseconds: Int64
    public var id: UUID

    public var createdAt: Date { Date(timeIntervalSince1970: Double(microseconds) / 1_000_000) }

    public init(createdAt: Date, id: UUID) {
        self.init(microseconds: Int64((createdAt.timeIntervalSince1970 * 1_000_000).rounded()), id: id)
    }

    public init(microseconds: Int64, id: UUID) {
        self.microseconds = microseconds
        self.id = id
    }

    /// Opaque text for URLs: microseconds since 1970 and the id.
    public var token: String { "\(microseconds)_\(id.uuidString.lowercased())" }

    public init?(token: String) {
        let parts = token.split(separator: "_", maxSplits: 1)
        guard parts.count == 2, let micros = Int64(parts[0]), let id = UUID(uuidString: String(parts[1])) else {
            return nil
        }
        self.init(microseconds: micros, id: id)
    }
}

/// One line of a task list.
public struct TaskSummary: Sendable, Equatable, Encodable {
    /// Lower case, as ids are written everywhere else.
    public var id: String
    public var repository: String
    public var issueNumber: Int
    public var issueTitle: String?
    public var requester: String
    public var agent: String
    public var model: String?
    public var status: String
    public var statusReason: String?
    public var phase: String?
    public var branch: String?
    public var pullRequestURL: String?
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
}

/// Task lists for people: only tasks they asked for or on repositories they can reach, newest first.
public struct PostgresTaskListStore: Sendable {
    let client: PostgresClient
    let logger: Logger
    let figures: TaskFigures?

    /// - Parameter figures: where totals, stat cards and type-ahead offers are kept between requests;
    ///   nil reads them every time.
    public init(client: PostgresClient, logger: Logger, figures: TaskFigures? = nil) {
        self.client = client
        self.logger = logger
        self.figures = figures
    }

    /// A page of at most `limit` tasks after `cursor`, and the cursor of the next page when there is one.
    public func page(
        userID: Int64, repositories: [Int64], filter: TaskFilter, after cursor: TaskCursor?, limit: Int
    ) async throws -> (tasks: [TaskSummary], next: TaskCursor?) {
        var sql = try Conditions(userID: userID, repositories: repositories, filter: filter)
        let micros = try sql.bind(cursor?.microseconds)
        let time = "(timestamptz 'epoch' + \(micros)::bigint * interval '1 microsecond')"
        let id = try sql.bind(cursor?.id)
        let count = try sql.bind(limit + 1)
        let query = PostgresQuery(
            unsafeSQL: """
                SELECT \(Self.summaryColumns), (extract(epoch FROM created_at) * 1000000)::bigint FROM tasks
                WHERE \(sql.text)
                    AND (\(micros)::bigint IS NULL OR (created_at, id) < (\(time), \(id)::uuid))
                ORDER BY created_at DESC, id DESC
                LIMIT \(count)
                """, binds: sql.binds)
        var tasks: [TaskSummary] = []
        var last: TaskCursor?
        for try await row in try await client.query(query, logger: logger) {
            let task = try Self.summary(from: row)
            tasks.append(task)
            if tasks.count == limit, let id = UUID(uuidString: task.id) {
                last = TaskCursor(
                    microseconds: try row.makeRandomAccess()[Self.summaryColumnCount].decode(Int64.self), id: id)
            }
        }
        guard tasks.count > limit else { return (tasks, nil) }
        tasks.removeLast()
        return (tasks, last)
    }

    /// The columns `summary(from:)` reads, in its order.
    static let summaryColumns = """
        id, repository_full_name, issue_number, issue_title, requester_login, agent, model, status, status_reason,
        progress_phase, branch, pull_request_url, created_at, started_at, finished_at
        """
    static let summaryColumnCount = 15

    static func summary(from row: PostgresRow) throws -> TaskSummary {
        let (id, repository, number, title, requester, agent, model, status) = try row.decode(
            (UUID, String, Int, String?, String, String, String?, String).self)
        let columns = row.makeRandomAccess()
        return TaskSummary(
            id: id.uuidString.lowercased(), repository: repository, issueNumber: number, issueTitle: title,
            requester: requester, agent: agent, model: model, status: status,
            statusReason: try columns[8].decode(String?.self), phase: try columns[9].decode(String?.self),
            branch: try columns[10].decode(String?.self), pullRequestURL: try columns[11].decode(String?.self),
            createdAt: try columns[12].decode(Date.self), startedAt: try columns[13].decode(Date?.self),
            finishedAt: try columns[14].decode(Date?.self))
    }

    /// How many visible tasks match `filter` in each status, its own status filter aside.
    public func counts(userID: Int64, repositories: [Int64], filter: TaskFilter) async throws -> [String: Int] {
        var unfiltered = filter
        unfiltered.statuses = []
        if unfiltered == TaskFilter() {
            // Everything visible: the counts the database keeps per repository, and the person's own
            // tasks on repositories they do not reach. Exact and cheap, so never kept.
            return try await statusCounts(
                """
                SELECT status, sum(tasks)::bigint FROM (
                    SELECT status, tasks FROM task_counts WHERE repository_id = ANY(\(repositories)::bigint[])
                    UNION ALL
                    SELECT status, count(*) FROM tasks
                    WHERE requester_id = \(userID) AND NOT repository_id = ANY(\(repositories)::bigint[])
                    GROUP BY status) AS visible
                GROUP BY status
                """)
        }
        let sql = try Conditions(userID: userID, repositories: repositories, filter: unfiltered)
        let query = PostgresQuery(
            unsafeSQL: "SELECT status, count(*)::bigint FROM (\(sql.visibleRows("status"))) AS visible GROUP BY status",
            binds: sql.binds)
        guard let figures else { return try await statusCounts(query) }
        let scope = TaskFigures.Scope(userID: userID, repositories: repositories, filter: unfiltered)
        let counted = unfiltered
        return try await figures.counts.value(for: scope) {
            if TaskFigureTable.Table.counts(counted), let table = try await figures.table.snapshot() {
                return table.statusCounts(userID: userID, repositories: repositories, filter: counted)
            }
            return try await statusCounts(query)
        }
    }

    private func statusCounts(_ query: PostgresQuery) async throws -> [String: Int] {
        var counts = Dictionary(uniqueKeysWithValues: TaskStatus.allCases.map { ($0.rawValue, 0) })
        for try await (status, count) in try await client.query(query, logger: logger).decode((String, Int64).self) {
            counts[status] = Int(count)
        }
        return counts
    }

    /// The visibility rule and the filter, every value bound as a parameter; a filter field left nil
    /// matches everything. Shared by the pages, the counts and the figures so they always agree.
    struct Conditions {
        var binds = PostgresBindings()
        /// Visibility and filter as one condition, for queries that walk tasks newest first and stop
        /// after a page.
        var text = ""
        /// The filter alone.
        private(set) var filter = ""
        private var user = ""
        private var repositories = ""

        init(userID: Int64, repositories: [Int64], filter: TaskFilter) throws {
            let search = filter.search?.trimmingCharacters(in: .whitespaces).nilIfBlank
            let number = search.flatMap { Int($0.hasPrefix("#") ? String($0.dropFirst()) : $0) }
            let pattern = search.map { "%" + PostgresTaskListStore.likeEscaped($0) + "%" }
            user = try bind(userID)
            self.repositories = try bind(repositories)
            let statuses = try bind(filter.statuses.map(\.rawValue))
            let agent = try bind(filter.agent?.rawValue)
            let repository = try bind(filter.repository)
            let branch = try bind(filter.branch)
            let issue = try bind(filter.issueNumber)
            let like = try bind(pattern)
            let searched = try bind(number)
            let from = try bind(filter.from)
            let to = try bind(filter.to)
            self.filter = """
                (cardinality(\(statuses)::text[]) = 0 OR status = ANY(\(statuses)::text[]))
                AND (\(agent)::text IS NULL OR agent = \(agent)::text)
                AND (\(repository)::text IS NULL OR lower(repository_full_name) = lower(\(repository)::text))
                AND (\(branch)::text IS NULL OR branch = \(branch)::text)
                AND (\(issue)::integer IS NULL OR issue_number = \(issue)::integer)
                AND (\(like)::text IS NULL OR issue_title ILIKE \(like)::text ESCAPE '\\'
                    OR issue_number = \(searched)::integer)
                AND (\(from)::timestamptz IS NULL OR created_at >= \(from)::timestamptz)
                AND (\(to)::timestamptz IS NULL OR created_at < \(to)::timestamptz)
                """
            text = """
                (requester_id = \(user) OR repository_id = ANY(\(self.repositories)::bigint[]))
                AND \(self.filter)
                """
        }

        /// `columns` of every visible task matching the filter, as the two halves the figures indexes
        /// serve: the tasks on the repositories the person reaches, and their own tasks elsewhere. Each
        /// half is an index-only walk when `columns` and the filter stay within the indexes' columns
        /// (migration 16); the single condition's OR would read the table instead.
        ///
        /// With `groupedBy`, each half is grouped on its own: the planner then knows from the table's
        /// statistics how few groups there are and hashes them, where over the halves' union it would
        /// guess thousands and sort every row. A group can then come from both halves.
        func visibleRows(_ columns: String, groupedBy: String? = nil) -> String {
            let grouping = groupedBy.map { " GROUP BY \($0)" } ?? ""
            return """
                SELECT \(columns) FROM tasks
                WHERE repository_id = ANY(\(repositories)::bigint[]) AND \(filter)\(grouping)
                UNION ALL
                SELECT \(columns) FROM tasks
                WHERE requester_id = \(user) AND NOT repository_id = ANY(\(repositories)::bigint[]) AND \(filter)\(grouping)
                """
        }

        /// Binds `value` and returns its placeholder.
        mutating func bind<Value: PostgresThrowingDynamicTypeEncodable>(_ value: Value?) throws -> String {
            try binds.append(value)
            return "$\(binds.count)"
        }
    }

    /// `text` matched literally by LIKE: its wildcards and the escape character escaped.
    static func likeEscaped(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_")
    }
}

extension String {
    fileprivate var nilIfBlank: String? { isEmpty ? nil : self }
}
