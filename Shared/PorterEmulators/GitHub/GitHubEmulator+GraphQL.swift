import Foundation
import HTTPTypes
import Hummingbird

/// `POST /graphql`, for the one thing GitHub's REST API cannot do: turning a draft pull request
/// into one ready for review (`markPullRequestReadyForReview`). Answers come as GitHub's GraphQL
/// sends them: 200 with `data` and `errors`, a failed field null in `data`; only a missing or bad
/// token is an HTTP error. Anything else is refused as unsupported by the emulator.
extension GitHubEmulator {
    static let graphQLDocumentation = "https://docs.github.com/graphql"
    static let readyMutation = "markPullRequestReadyForReview"

    /// One error in GraphQL's `errors` list.
    struct GraphQLError: Error {
        var message: String
        var type: String?
        var path: [String]?
        var line: Int?
        var column: Int?

        var object: [String: Any] {
            var object: [String: Any] = ["message": message]
            if let type { object["type"] = type }
            if let path { object["path"] = path }
            if let line, let column { object["locations"] = [["line": line, "column": column]] }
            return object
        }
    }

    func addGraphQLRoutes(to router: Router<BasicRequestContext>) {
        router.post("/graphql") { request, context in
            guard let token = Self.bearer(request) else {
                throw GitHubAPIError(
                    status: .unauthorized, message: "This endpoint requires you to be authenticated.",
                    documentationURL: Self.graphQLDocumentation)
            }
            let caller: Caller
            if let login = self.liveUserLogin(token) {
                caller = .user(login)
            } else if let (_, grant) = try? self.grant(for: token) {
                caller = .installation(grant.installationID)
            } else {
                throw GitHubAPIError(
                    status: .unauthorized, message: "Bad credentials", documentationURL: Self.graphQLDocumentation)
            }
            let body = try await request.jsonObject(context: context)
            do {
                return GitHubJSONResponse.make(try await self.graphQL(body, token: token, caller: caller))
            } catch let error as GraphQLError {
                return GitHubJSONResponse.make(["errors": [error.object]])
            }
        }
    }

    /// Checks the document against what the emulator serves, then runs the mutation.
    func graphQL(_ body: [String: Any], token: String, caller: Caller) async throws -> [String: Any] {
        guard let query = body["query"] as? String else {
            throw GraphQLError(message: "A query attribute must be specified and must be a string.")
        }
        let document: GraphQLDocument
        do {
            document = try GraphQLDocument.parse(query)
        } catch {
            throw GraphQLError(message: error.message, line: error.line, column: error.column)
        }
        guard document.operation == "mutation", document.selections.count == 1,
            let field = document.selections.first, field.name == Self.readyMutation
        else {
            throw GraphQLError(
                message: "The GitHub emulator does not support this query: it serves only the "
                    + "\(Self.readyMutation) mutation.")
        }
        try Self.validateReadySelections(field)
        let variables = document.variableDefaults.mapValues(Self.plain).merging(
            body["variables"] as? [String: Any] ?? [:]
        ) { $1 }
        let input = Self.resolve(field.arguments["input"] ?? .null, variables) as? [String: Any]
        guard let id = input?["pullRequestId"] as? String else {
            throw GraphQLError(
                message: "Argument 'pullRequestId' on InputObject 'MarkPullRequestReadyForReviewInput' is "
                    + "required. Expected type ID!", path: [field.key], line: field.line, column: field.column)
        }
        do {
            let (repository, pull) = try await markReady(id, token: token, caller: caller)
            let payload = Self.readyPayload(field, pull, repository, baseURL: baseURL, input: input ?? [:])
            return ["data": [field.key: payload]]
        } catch var error {
            (error.path, error.line, error.column) = ([field.key], field.line, field.column)
            return ["data": [field.key: NSNull()], "errors": [error.object]]
        }
    }

    /// The fields the emulator can answer; GitHub refuses an unknown one before running anything.
    static func validateReadySelections(_ field: GraphQLDocument.Field) throws(GraphQLError) {
        let known: [String: (type: String, fields: Set<String>)] = [
            "payload": ("MarkPullRequestReadyForReviewPayload", ["pullRequest", "clientMutationId", "__typename"]),
            "pullRequest": ("PullRequest", ["id", "isDraft", "number", "state", "title", "url", "__typename"]),
        ]
        func check(
            _ selections: [GraphQLDocument.Field], _ type: (type: String, fields: Set<String>), path: [String]
        ) throws(GraphQLError) {
            for selection in selections {
                guard type.fields.contains(selection.name) else {
                    throw GraphQLError(
                        message: "Field '\(selection.name)' doesn't exist on type '\(type.type)'",
                        path: path + [selection.key], line: selection.line, column: selection.column)
                }
                if selection.name == "pullRequest" {
                    try check(selection.selections, known["pullRequest"]!, path: path + [selection.key])
                }
            }
        }
        guard !field.selections.isEmpty else {
            throw GraphQLError(
                message: "Field must have selections (field '\(field.name)' returns "
                    + "MarkPullRequestReadyForReviewPayload but has no selections.)", line: field.line,
                column: field.column)
        }
        try check(field.selections, known["payload"]!, path: ["mutation", field.key])
    }

    /// Finds the pull request a node id names, checks the caller may change it, and takes it out of draft.
    func markReady(
        _ nodeID: String, token: String, caller: Caller
    ) async throws(GraphQLError) -> (EmulatedRepository, EmulatedPull) {
        let notFound = GraphQLError(
            message: "Could not resolve to a node with the global id of '\(nodeID)'", type: "NOT_FOUND")
        let forbidden = GraphQLError(message: "Resource not accessible by integration", type: "FORBIDDEN")
        let decoded = Data(base64Encoded: nodeID).map { String(decoding: $0, as: UTF8.self) } ?? ""
        guard decoded.hasPrefix("011:PullRequest"), let id = Int(decoded.dropFirst("011:PullRequest".count)),
            let (repository, pull) = state.withLock({ state in
                state.pulls.values.lazy.flatMap(\.values).first { $0.id == id }.flatMap { pull in
                    state.repositories[pull.repositoryID].map { ($0, pull) }
                }
            })
        else { throw notFound }
        let write = (permission: "pull_requests", level: "write")
        switch caller {
        case .installation:
            guard let grant = try? grant(for: token).grant else { throw notFound }
            let covered = state.withLock { state in
                state.installations[grant.installationID].map { state.installationCovers($0, repository) } ?? false
            }
            guard covered, grant.repositoryIDs?.contains(repository.id) ?? true else { throw notFound }
            guard Self.allows(grant.permissions[write.permission], write.level) else { throw forbidden }
        case .user(let login):
            let installed = state.withLock { state in
                state.installations.values.contains { state.installationCovers($0, repository) }
            }
            guard installed, role(of: login, in: repository) != "none" else { throw notFound }
            guard Self.allows(app.permissions[write.permission], write.level) else { throw forbidden }
            guard Self.pushRoles.contains(role(of: login, in: repository)) else {
                throw GraphQLError(
                    message:
                        "\(login) does not have the correct permissions to execute `MarkPullRequestReadyForReview`",
                    type: "FORBIDDEN")
            }
        }
        let wasDraft = state.withLock { state in
            guard state.pulls[repository.id]?[pull.number]?.draft == true else { return false }
            state.pulls[repository.id]?[pull.number]?.draft = false
            state.pulls[repository.id]?[pull.number]?.updatedAt = Date()
            return true
        }
        if wasDraft {
            let sender = login(of: caller)
            Task {
                await self.deliverPullRequestEvent(
                    "ready_for_review", repository: repository, number: pull.number, sender: sender)
            }
        }
        let current = state.withLock { $0.pulls[repository.id]?[pull.number] } ?? pull
        return (repository, current)
    }

    /// The mutation's payload with exactly the fields selected, under their aliases.
    static func readyPayload(
        _ field: GraphQLDocument.Field, _ pull: EmulatedPull, _ repository: EmulatedRepository, baseURL: String,
        input: [String: Any]
    ) -> [String: Any] {
        var payload: [String: Any] = [:]
        for selection in field.selections {
            switch selection.name {
            case "__typename": payload[selection.key] = "MarkPullRequestReadyForReviewPayload"
            case "clientMutationId": payload[selection.key] = input["clientMutationId"] ?? NSNull()
            default:
                var object: [String: Any] = [:]
                for pullField in selection.selections {
                    object[pullField.key] =
                        switch pullField.name {
                        case "id": GitHubJSON.nodeID("011:PullRequest", pull.id)
                        case "isDraft": pull.draft
                        case "number": pull.number
                        case "title": pull.title
                        case "url": "\(baseURL)/\(repository.fullName)/pull/\(pull.number)"
                        case "state": pull.mergedAt != nil ? "MERGED" : pull.state.uppercased()
                        default: "PullRequest"
                        }
                }
                payload[selection.key] = object
            }
        }
        return payload
    }

    /// A GraphQL value as JSON would carry it, variables looked up.
    static func resolve(_ value: GraphQLDocument.Value, _ variables: [String: Any]) -> Any {
        switch value {
        case .variable(let name): variables[name] ?? NSNull()
        case .list(let items): items.map { resolve($0, variables) }
        case .object(let fields): fields.mapValues { resolve($0, variables) }
        default: plain(value)
        }
    }

    static func plain(_ value: GraphQLDocument.Value) -> Any {
        switch value {
        case .string(let text), .enumValue(let text): text
        case .number(let text): Double(text) ?? NSNull()
        case .bool(let flag): flag
        case .null, .variable: NSNull()
        case .list(let items): items.map(plain)
        case .object(let fields): fields.mapValues(plain)
        }
    }
}
