import Foundation
import Testing

@testable import PorterKit

/// benchmarks/gateway measures the gateway against pgbench running the gateway's own transaction; that
/// ceiling means something only while its statement is the one the gateway sends.
@Suite struct TaskIntakeStatementTests {
    /// Where the benchmark's script puts each bind parameter of the delivery's statement: a pgbench
    /// variable, or NULL where the benchmark's command leaves the value out.
    static let benchmarkParameters = [
        1: ":delivery", 2: ":installation", 3: ":repository", 4: ":repository_name", 5: ":issue",
        6: ":is_pull_request", 7: ":requester", 8: ":login", 9: ":agent", 10: "NULL", 11: ":priority",
        12: ":draft", 13: "NULL", 14: ":instructions", 15: ":comment", 16: ":kind", 17: "NULL",
        18: ":comment_kind", 19: ":event", 20: ":action", 21: ":installation",
    ]

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("benchmarks/gateway-command.sql")

    @Test func theBenchmarksCeilingRunsTheStatementTheGatewaySends() throws {
        var statement = ""
        var rest = Substring(TaskIntake.deliveryStatement)
        while let dollar = rest.firstIndex(of: "$") {
            statement += rest[..<dollar]
            let digits = rest[rest.index(after: dollar)...].prefix(while: \.isNumber)
            let number = try #require(Int(digits), "a $ that is no parameter in the statement")
            statement += try #require(
                Self.benchmarkParameters[number], "parameter $\(number) has no place in the benchmark")
            rest = rest[digits.endIndex...]
        }
        statement += rest
        let text = try String(contentsOf: Self.script, encoding: .utf8)
        let commands = text.split(separator: "\n").filter { !$0.hasPrefix("--") && !$0.hasPrefix("\\") }
            .joined(separator: "\n")
        #expect(
            commands == "BEGIN;\n\(statement);\nCOMMIT;", "benchmarks/gateway-command.sql should read:\n\(statement)")
    }

    @Test func theDeliverysStatementBindsEveryParameterItNames() throws {
        let order = TaskOrder(
            context: IssueContext(
                issue: IssueReference(
                    installationID: 1, repositoryID: 2, repositoryFullName: "acme/widgets", number: 3,
                    isPullRequest: false),
                requester: Requester(id: 4, login: "octocat"), commentID: 5, commentKind: .issueComment),
            options: RunOptions(agent: .claude, instructions: "fix it"))
        let delivery = IncomingDelivery(id: "d", event: "issue_comment", action: "created", installationID: 1)
        let named = Set(Self.benchmarkParameters.keys)
        let query = TaskIntake.query(order, key: delivery.id, gate: .delivery(delivery), followUpOf: nil)
        #expect(query.binds.count == named.count)
        let keyed = TaskIntake.query(order, key: "web-dispatch:x", gate: .key, followUpOf: nil)
        #expect(keyed.binds.count == named.count - 3)
        #expect(!keyed.sql.contains("$19") && query.sql.contains("$21"))
    }
}
