import Foundation
import PorterEmulators
import PorterKit
import Testing

/// `POST /graphql` with `markPullRequestReadyForReview`, the only way GitHub turns a draft ready:
/// GraphQL's answers and errors, people's permissions, and the `ready_for_review` webhook.
@Suite struct ReviewEmulatorGraphQLTests {
    static let mutation = """
        mutation($id: ID!) {
          markPullRequestReadyForReview(input: {pullRequestId: $id}) {
            pullRequest { id isDraft number }
          }
        }
        """

    @Test func aDraftBecomesReadyWithAVariableOrAnInlineID() async throws {
        let world = try await GitHubWorld.make(files: ReviewEmulator.files)
        let emulator = world.emulator
        let (first, _) = try await ReviewEmulator.pull(emulator, draft: true)
        let (second, _) = try await ReviewEmulator.pull(
            emulator, branch: "second", commits: [("Second", ["second.txt": "2\n"])], draft: true)
        emulator.setRole(owner: "acme", repo: "widgets", user: "writer", role: "write")
        let token = emulator.userToken(for: "writer")
        try await ReviewEmulator.run(world) { session in
            let id = try #require(
                try await session.app.object("/repos/acme/widgets/pulls/\(first)")["node_id"] as? String)
            let answer = try await session.caller(token).call(
                .POST, "/graphql", ["query": Self.mutation, "variables": ["id": id]])
            #expect(answer.status == 200 && answer.object["errors"] == nil)
            let data = try #require(answer.object["data"] as? [String: Any])
            let payload = try #require(data["markPullRequestReadyForReview"] as? [String: Any])
            let pull = try #require(payload["pullRequest"] as? [String: Any])
            #expect(pull["id"] as? String == id && pull["isDraft"] as? Bool == false && pull["number"] as? Int == first)
            #expect(pull.count == 3)

            let event = try await session.pullRequestEvent("ready_for_review", number: first)
            #expect((event["pull_request"] as? [String: Any])?["draft"] as? Bool == false)
            #expect((event["sender"] as? [String: Any])?["login"] as? String == "writer")
            #expect(try await session.app.object("/repos/acme/widgets/pulls/\(first)")["draft"] as? Bool == false)

            // The App's own token, the id written inline, an alias and a client mutation id.
            let secondID = try #require(
                try await session.app.object("/repos/acme/widgets/pulls/\(second)")["node_id"] as? String)
            let inline = """
                mutation Ready {
                  ready: markPullRequestReadyForReview(input: {pullRequestId: "\(secondID)", clientMutationId: "c1"}) {
                    clientMutationId
                    pullRequest { draft: isDraft, __typename }
                  }
                }
                """
            let answered = try await session.app.call(.POST, "/graphql", ["query": inline])
            let ready = try #require((answered.object["data"] as? [String: Any])?["ready"] as? [String: Any])
            #expect(ready["clientMutationId"] as? String == "c1")
            let object = try #require(ready["pullRequest"] as? [String: Any])
            #expect(object["draft"] as? Bool == false && object["__typename"] as? String == "PullRequest")
            let readied = try await session.pullRequestEvent("ready_for_review", number: second)
            #expect((readied["sender"] as? [String: Any])?["login"] as? String == "porter[bot]")

            // Marking what is ready again changes nothing and sends nothing.
            let repeated = try await session.app.call(.POST, "/graphql", ["query": inline])
            #expect(repeated.object["errors"] == nil)
            #expect(session.inbox.all.filter { $0.payload["action"] as? String == "ready_for_review" }.count == 2)
        }
        #expect(emulator.pullRequests(owner: "acme", repo: "widgets").allSatisfy { !$0.draft })
    }

    @Test func unknownIdsPeopleWithoutPushAndUnsupportedQueriesGetGraphQLErrors() async throws {
        let world = try await GitHubWorld.make(files: ReviewEmulator.files)
        let emulator = world.emulator
        let (number, _) = try await ReviewEmulator.pull(emulator, draft: true)
        emulator.setRole(owner: "acme", repo: "widgets", user: "reader", role: "read")
        let reader = emulator.userToken(for: "reader")
        let stranger = emulator.userToken(for: "stranger")
        try await ReviewEmulator.run(world) { session in
            let id = try #require(
                try await session.app.object("/repos/acme/widgets/pulls/\(number)")["node_id"] as? String)
            func error(
                _ token: String?, _ query: String, _ variables: [String: Any] = [:]
            ) async throws -> (
                [String: Any], Any?
            ) {
                let answer = try await session.caller(token).call(
                    .POST, "/graphql", ["query": query, "variables": variables])
                #expect(answer.status == 200)
                let errors = answer.object["errors"] as? [[String: Any]]
                return (try #require(errors?.first), answer.object["data"])
            }
            let (missing, missingData) = try await error(reader, Self.mutation, ["id": "MDExOlB1bGxSZXF1ZXN0OTk5OTk="])
            #expect(missing["type"] as? String == "NOT_FOUND")
            #expect(
                missing["message"] as? String
                    == "Could not resolve to a node with the global id of 'MDExOlB1bGxSZXF1ZXN0OTk5OTk='")
            #expect(missing["path"] as? [String] == ["markPullRequestReadyForReview"])
            #expect((missingData as? [String: Any])?["markPullRequestReadyForReview"] is NSNull)

            let (forbidden, _) = try await error(reader, Self.mutation, ["id": id])
            #expect(forbidden["type"] as? String == "FORBIDDEN")
            #expect(
                forbidden["message"] as? String
                    == "reader does not have the correct permissions to execute `MarkPullRequestReadyForReview`")
            let (hidden, _) = try await error(stranger, Self.mutation, ["id": id])
            #expect(hidden["type"] as? String == "NOT_FOUND")
            let readOnlyApp = try await session.installation(["pull_requests": "read"])
            let (capped, _) = try await error(readOnlyApp.token, Self.mutation, ["id": id])
            #expect(capped["type"] as? String == "FORBIDDEN")
            #expect(capped["message"] as? String == "Resource not accessible by integration")

            let (unsupported, none) = try await error(session.app.token, "query { viewer { login } }")
            #expect((unsupported["message"] as? String)?.contains("does not support") == true && none == nil)
            let (field, _) = try await error(
                session.app.token, Self.mutation.replacingOccurrences(of: "number", with: "mergeable"), ["id": id])
            #expect(field["message"] as? String == "Field 'mergeable' doesn't exist on type 'PullRequest'")
            let (syntax, _) = try await error(session.app.token, "mutation { markPullRequestReadyForReview(")
            #expect((syntax["message"] as? String)?.hasPrefix("Parse error") == true)

            let anonymous = try await session.caller(nil).call(.POST, "/graphql", ["query": Self.mutation])
            #expect(anonymous.status == 401 && anonymous.message == "This endpoint requires you to be authenticated.")
            let bad = try await session.caller("gho_nonsense").call(.POST, "/graphql", ["query": Self.mutation])
            #expect(bad.status == 401 && bad.message == "Bad credentials")
            #expect(session.inbox.all.isEmpty)
        }
        #expect(emulator.pullRequest(owner: "acme", repo: "widgets", number: number)?.draft == true)
    }
}
