import Foundation
import PorterKit

/// What the dispatch form holds, as typed: kept when the server refuses it or reloads it.
struct DispatchDraft: Sendable {
    var repository = ""
    /// An issue number, `new`, or empty.
    var issue = ""
    var title = ""
    var body = ""
    var agent = ""
    var model = ""
    var priority = "normal"
    /// `draft` or `ready`.
    var pr = "draft"
    var base = ""
    var instructions = ""
    var requestID = UUID().uuidString.lowercased()

    init() {}

    init(form: Form) {
        repository = form["repository"] ?? ""
        issue = form["issue"] ?? ""
        title = form["title"] ?? ""
        body = form["body"] ?? ""
        agent = form["agent"] ?? ""
        model = form["model"] ?? ""
        priority = form["priority"] ?? "normal"
        pr = form["pr"] == "ready" ? "ready" : "draft"
        base = form["base"] ?? ""
        instructions = form["instructions"] ?? ""
        if let id = form["requestId"].flatMap(UUID.init(uuidString:)) { requestID = id.uuidString.lowercased() }
    }

    /// The form as `command` filled it, for running it again.
    init(command: RecentCommand) {
        repository = command.repository
        issue = String(command.issueNumber)
        agent = command.request.agent.rawValue
        model = command.request.model ?? ""
        priority = command.request.priority.rawValue
        pr = command.request.draft ? "draft" : "ready"
        base = command.request.baseBranch ?? ""
        instructions = command.request.instructions
    }
}

/// Ready-made instructions for the usual kinds of work; a template also sets the priority.
struct DispatchTemplate: Sendable {
    var id: String
    var label: String
    /// `low`, `normal` or `high`.
    var priority: String
    var instructions: String

    static let all = [
        DispatchTemplate(
            id: "fix-bug", label: "Fix a bug", priority: "high",
            instructions: """
                Find the cause of the bug this issue describes and fix it. Add a test that fails without \
                the fix and passes with it, and run the whole test suite.
                """),
        DispatchTemplate(
            id: "add-feature", label: "Add a feature", priority: "normal",
            instructions: """
                Implement the feature this issue describes, following the code's existing patterns. Add \
                tests for the new behaviour and update the documentation it changes.
                """),
        DispatchTemplate(
            id: "refactor", label: "Refactor", priority: "normal",
            instructions: """
                Refactor the code this issue names without changing what it does. Keep public \
                interfaces and every test passing, and explain the new structure in the pull request.
                """),
        DispatchTemplate(
            id: "update-docs", label: "Update docs", priority: "low",
            instructions: """
                Update the documentation for what this issue describes: the README, doc comments and \
                examples. Change no code beyond comments.
                """),
        DispatchTemplate(
            id: "write-tests", label: "Write tests", priority: "normal",
            instructions: """
                Write tests for the code this issue names, covering the usual cases and the edge cases. \
                Where a test finds a bug, fix it and say so in the pull request.
                """),
    ]

    static func named(_ id: String?) -> DispatchTemplate? { all.first { $0.id == id } }
}

/// The dispatch page's view model: the form with its choices, the issue's preview and the person's
/// recent commands.
struct DispatchPageView {
    struct Option {
        var value: String
        var label: String
        var selected: Bool
        /// Agents: which keys it runs with, and whether the person stored one.
        var hint: String?
    }

    struct Preview {
        var number: Int
        var title: String
        var text: String?
        var url: String
        var author: String
    }

    struct Recent {
        var href: String
        var repository: String
        var issue: String
        var agent: String
        var model: String
        var priority: String
        var pr: String
        var base: String
        var instructions: String
        var summary: String
        var when: String
    }

    var page: Chrome
    var problem: String?
    var requestID: String
    var hasRepositories: Bool
    var repositoriesProblem: String?
    var installURL: String?
    var repositories: [Option]
    var issues: [Option]
    var issuesProblem: String?
    var newIssue: Bool
    var newTitle: String
    var newBody: String
    var preview: Preview?
    var templates: [DispatchTemplate]
    var instructions: String
    var agents: [Option]
    var agentHint: String?
    var model: String
    var priorities: [Option]
    var draft: Bool
    var base: String
    var recent: [Recent]

    /// How a recent command reads in the list.
    static func recent(_ command: RecentCommand) -> Recent {
        let draft = DispatchDraft(command: command)
        let words = command.request.instructions.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        let summary = words.isEmpty ? "no instructions" : words.count > 90 ? String(words.prefix(89)) + "…" : words
        return Recent(
            href: "/dispatch?from=\(command.taskID.uuidString.lowercased())", repository: draft.repository,
            issue: draft.issue, agent: draft.agent, model: draft.model, priority: draft.priority, pr: draft.pr,
            base: draft.base, instructions: draft.instructions, summary: summary,
            when: DisplayTime.recent(command.createdAt))
    }

    /// The agents a person can name (`offered`), each with what it is good at and the keys it runs with.
    static func agents(selected: String, defaultAgent: Agent?, keys: Set<String>, offered: [Agent]) -> [Option] {
        let fallback = defaultAgent ?? .fallback
        let chosen = Agent(commandWord: selected)
        return [
            Option(
                value: "", label: "Your default (\(fallback.rawValue))", selected: chosen == nil,
                hint: hint(fallback, keys: keys))
        ]
            + offered.map { agent in
                Option(
                    value: agent.rawValue, label: agent.rawValue, selected: chosen == agent,
                    hint: hint(agent, keys: keys))
            }
    }

    static let descriptions: [Agent: String] = [
        .claude: "Claude Code: deep reasoning for complex changes.", .codex: "Codex: OpenAI's coding agent.",
        .opencode: "OpenCode: a fast agent for day-to-day issues.", .amp: "Amp: high throughput for rapid iteration.",
        .gemini: "Gemini CLI: Google's coding agent.",
        .demo:
            "Demo: built into Porter and offline; it records your request in PORTER_DEMO.md and changes nothing else.",
    ]

    /// What the agent is, and whether it runs with a key of the person's or needs the operator's.
    static func hint(_ agent: Agent, keys: Set<String>) -> String {
        let own = agent.keyNames.filter(keys.contains)
        let keyText =
            agent.keyNames.isEmpty
            ? "Needs no key."
            : own.isEmpty
                ? "Runs with \(agent.keyNames.joined(separator: " or ")), which you have not stored: this Porter's "
                    + "operator must provide it."
                : "Runs with your \(own.joined(separator: " and "))."
        return [descriptions[agent], keyText].compactMap(\.self).joined(separator: " ")
    }

    static func priorities(selected: String) -> [Option] {
        let chosen = TaskPriority(rawValue: selected) ?? .normal
        return TaskPriority.allCases.reversed().map {
            Option(value: $0.rawValue, label: $0.rawValue, selected: $0 == chosen)
        }
    }
}
