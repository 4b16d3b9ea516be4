import Foundation
import PostgresNIO

/// A history filter that offers type-ahead suggestions from the values a person's tasks hold.
public enum TaskFacet: String, Sendable, CaseIterable {
    case repo
    case branch
    case issue
}

/// One suggestion: the value a filter field takes, and what to show next to it.
public struct TaskSuggestion: Sendable, Equatable, Encodable {
    public var value: String
    public var label: String?

    public init(value: String, label: String? = nil) {
        self.value = value
        self.label = label
    }
}

extension PostgresTaskListStore {
    /// How many of the newest matching tasks suggestions are drawn from: typing narrows the match, so
    /// an old value still turns up once enough of it is typed, and a keystroke never reads the whole table.
    static let suggestionWindow = 1_000

    /// Up to `limit` distinct values of `facet` among the visible tasks matching `filter`, most recently
    /// used first, containing `text` (case-insensitive; for issues, a number starting with it or a title
    /// containing it). What is offered before anything is typed (every history page shows it) is kept
    /// with the other figures.
    public func suggestions(
        _ facet: TaskFacet, containing text: String, userID: Int64, repositories: [Int64], filter: TaskFilter,
        limit: Int
    ) async throws -> [TaskSuggestion] {
        let typed = text.trimmingCharacters(in: .whitespaces)
        guard typed.isEmpty, let figures else {
            return try await readSuggestions(
                facet, containing: typed, userID: userID, repositories: repositories, filter: filter, limit: limit)
        }
        let scope = TaskFigures.Scope(
            userID: userID, repositories: repositories, filter: filter, detail: "\(facet.rawValue) \(limit)")
        return try await figures.offers.value(for: scope) {
            try await readSuggestions(
                facet, containing: "", userID: userID, repositories: repositories, filter: filter, limit: limit)
        }
    }

    /// What `suggestions` offers for `facet` before anything is typed, if kept and ready; nil at once
    /// otherwise, without reading anything.
    public func keptOffers(
        _ facet: TaskFacet, userID: Int64, repositories: [Int64], filter: TaskFilter, limit: Int
    ) async throws -> [TaskSuggestion]? {
        try await figures?.offers.kept(
            for: TaskFigures.Scope(
                userID: userID, repositories: repositories, filter: filter, detail: "\(facet.rawValue) \(limit)"))
    }

    private func readSuggestions(
        _ facet: TaskFacet, containing typed: String, userID: Int64, repositories: [Int64], filter: TaskFilter,
        limit: Int
    ) async throws -> [TaskSuggestion] {
        var sql = try Conditions(userID: userID, repositories: repositories, filter: filter)
        let pattern = try sql.bind(typed.isEmpty ? nil : "%" + Self.likeEscaped(typed) + "%")
        let window = try sql.bind(Self.suggestionWindow)
        let count = try sql.bind(limit)
        let (value, label, match): (String, String, String)
        switch facet {
        case .repo:
            (value, label, match) = (
                "repository_full_name", "NULL::text",
                "repository_full_name ILIKE \(pattern)::text ESCAPE '\\'"
            )
        case .branch:
            (value, label, match) = (
                "branch", "NULL::text", "branch IS NOT NULL AND branch ILIKE \(pattern)::text ESCAPE '\\'"
            )
        case .issue:
            let prefix = try sql.bind(typed.isEmpty ? nil : Self.likeEscaped(String(typed.trimmingPrefix("#"))) + "%")
            (value, label, match) = (
                "issue_number::text",
                "repository_full_name || '#' || issue_number || coalesce(' ' || max(issue_title), '')",
                "(issue_number::text LIKE \(prefix)::text ESCAPE '\\' OR issue_title ILIKE \(pattern)::text ESCAPE '\\')"
            )
        }
        let grouping = facet == .issue ? "repository_full_name, issue_number" : value
        let query = PostgresQuery(
            unsafeSQL: """
                SELECT \(value), \(label)
                FROM (
                    SELECT repository_full_name, issue_number, issue_title, branch, created_at
                    FROM tasks
                    WHERE \(sql.text)
                        AND (\(pattern)::text IS NULL OR \(match))
                        \(facet == .branch ? "AND branch IS NOT NULL" : "")
                    ORDER BY created_at DESC
                    LIMIT \(window)
                ) recent
                GROUP BY \(grouping)
                ORDER BY max(created_at) DESC, \(value)
                LIMIT \(count)
                """, binds: sql.binds)
        var suggestions: [TaskSuggestion] = []
        for try await (value, label) in try await client.query(query, logger: logger).decode((String, String?).self) {
            suggestions.append(TaskSuggestion(value: value, label: label))
        }
        return suggestions
    }
}
