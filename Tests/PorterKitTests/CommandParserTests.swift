import PorterKit
import Testing

@Suite struct CommandParserTests {
    typealias Case = (comment: String, expected: CommandParseResult)

    static func run(
        _ agent: Agent? = nil, model: String? = nil, priority: TaskPriority? = nil, draft: Bool? = nil,
        base: String? = nil, _ instructions: String = ""
    ) -> CommandParseResult {
        .command(
            .run(
                RunOptions(
                    agent: agent, model: model, priority: priority, draft: draft, baseBranch: base,
                    instructions: instructions)))
    }

    static let cases: [Case] = [
        // Agents and aliases.
        ("@porter claude fix the flaky login test", run(.claude, "fix the flaky login test")),
        ("@porter claude-code fix it", run(.claude, "fix it")),
        ("@porter Claude-Code fix it", run(.claude, "fix it")),
        ("@porter codex add tests", run(.codex, "add tests")),
        ("@porter opencode refactor", run(.opencode, "refactor")),
        ("@porter amp update deps", run(.amp, "update deps")),
        ("@porter gemini write docs", run(.gemini, "write docs")),
        ("@porter fix the typo in README", run(nil, "fix the typo in README")),
        ("@porter please ask claude to help", run(nil, "please ask claude to help")),
        ("@porter", run()),
        ("@porter   ", run()),
        ("@porter claude", run(.claude)),
        // Case-insensitive mention, placement in the comment.
        ("@Porter codex go", run(.codex, "go")),
        ("@PORTER amp go", run(.amp, "go")),
        ("Hey @porter claude, fix this", run(.claude, "fix this")),
        ("@porter codex: add tests", run(.codex, "add tests")),
        ("thanks! (@porter gemini check)", run(.gemini, "check)")),
        (
            "Looks broken.\n@porter codex fix the crash\nStack trace is above.",
            run(.codex, "fix the crash\nStack trace is above.")
        ),
        // Flags in both forms and dash variants.
        ("@porter claude --model=opus fix it", run(.claude, model: "opus", "fix it")),
        ("@porter claude --model opus fix it", run(.claude, model: "opus", "fix it")),
        ("@porter --priority=high claude fix", run(.claude, priority: .high, "fix")),
        ("@porter codex --priority low tidy", run(.codex, priority: .low, "tidy")),
        ("@porter codex --priority=HIGH tidy", run(.codex, priority: .high, "tidy")),
        ("@porter claude --draft fix", run(.claude, draft: true, "fix")),
        ("@porter claude --ready fix", run(.claude, draft: false, "fix")),
        ("@porter claude --base=release/2.0 backport", run(.claude, base: "release/2.0", "backport")),
        ("@porter claude --base develop backport", run(.claude, base: "develop", "backport")),
        ("@porter claude —model=sonnet fix", run(.claude, model: "sonnet", "fix")),
        ("@porter claude fix it --model=opus", run(.claude, model: "opus", "fix it")),
        ("@porter claude remove the --verbose flag", run(.claude, "remove the --verbose flag")),
        (
            "@porter codex --model=o3 --priority=normal --ready --base=main do it",
            run(.codex, model: "o3", priority: .normal, draft: false, base: "main", "do it")
        ),
        // Unknown and malformed flags are reported, never eaten.
        ("@porter claude --turbo fix", .invalid([.unknownFlag("--turbo")])),
        ("@porter --agent=claude fix", .invalid([.unknownFlag("--agent=claude")])),
        (
            "@porter claude --priority=urgent fix",
            .invalid([.invalidValue(flag: "priority", value: "urgent", expected: "`low`, `normal` or `high`")])
        ),
        ("@porter claude --model", .invalid([.missingValue(flag: "model")])),
        ("@porter claude --draft --ready fix", .invalid([.conflictingFlags("draft", "ready")])),
        ("@porter claude --model=a --model=b fix", .invalid([.repeatedFlag("model")])),
        (
            "@porter claude --base=../etc fix",
            .invalid([.invalidValue(flag: "base", value: "../etc", expected: "a branch name")])
        ),
        // Control verbs.
        ("@porter stop", .command(.control(.stop))),
        ("@porter retry", .command(.control(.retry))),
        ("@porter status", .command(.control(.status))),
        ("@porter help", .command(.control(.help))),
        ("@porter STOP!", .command(.control(.stop))),
        ("@porter stop\nit is going the wrong way", .command(.control(.stop))),
        ("@porter help me understand the parser", run(nil, "help me understand the parser")),
        // Not mentions: code, quotes, e-mail, other handles.
        ("`@porter claude fix` is how you call it", .noMention),
        ("use ``@porter `x` claude`` here", .noMention),
        ("```\n@porter claude fix\n```", .noMention),
        ("~~~sh\n@porter claude fix\n~~~", .noMention),
        ("````\n```\n@porter claude fix\n````", .noMention),
        ("> @porter claude fix\nI agree with the above", .noMention),
        ("  > @porter claude fix", .noMention),
        ("mail me at someone@porter.dev", .noMention),
        ("mail admin@porter", .noMention),
        ("@porter-bot claude fix", .noMention),
        ("@porter_ci claude fix", .noMention),
        ("@porterbot claude fix", .noMention),
        ("@porter/maintainers please look", .noMention),
        ("see @porter.io for details", .noMention),
        ("no mention here at all", .noMention),
        ("", .noMention),
        ("@@porter claude fix", .noMention),
        // Mixed: the first real mention wins.
        ("```\n@porter codex x\n```\n@porter amp real one", run(.amp, "real one")),
        ("> @porter codex quoted\n@porter gemini real", run(.gemini, "real")),
        ("`@porter` is the bot. @porter claude fix", run(.claude, "fix")),
        ("Thanks @porter.", run(nil, ".")),
        // Unicode.
        ("@porter claude 修复登录测试 🚀", run(.claude, "修复登录测试 🚀")),
        ("Ça marche pas — @porter codex répare ça", run(.codex, "répare ça")),
        ("@porter\u{00A0}claude fix", run(.claude, "fix")),
        ("\r\n@porter codex windows line endings\r\nsecond line", run(.codex, "windows line endings\nsecond line")),
    ]

    @Test(arguments: cases)
    func parses(comment: String, expected: CommandParseResult) {
        #expect(CommandParser().parse(comment) == expected)
    }

    @Test func thereAreAtLeastFortyCases() { #expect(Self.cases.count >= 40) }

    @Test func theMentionWordIsConfigurable() {
        let parser = CommandParser(mention: "Helper")
        #expect(parser.parse("@helper claude fix") == Self.run(.claude, "fix"))
        #expect(parser.parse("@porter claude fix") == .noMention)
    }

    @Test func veryLongCommentsAreCappedNotRejected() {
        let long = "@porter codex " + String(repeating: "a", count: 200_000)
        guard case .command(.run(let options)) = CommandParser().parse(long) else {
            Issue.record("expected a run command")
            return
        }
        #expect(options.agent == .codex)
        #expect(options.instructions.count == CommandParser.maximumCommentLength - "@porter codex ".count)
    }

    @Test func aMentionPastTheCapIsNotSeen() {
        let comment = String(repeating: "x ", count: 40_000) + "@porter claude fix"
        #expect(CommandParser().parse(comment) == .noMention)
    }

    /// `demo` is an agent only where the operator turned it on; elsewhere naming it first is a problem
    /// reported back (never instructions for another agent), and after an agent it is just a word.
    @Test func theDemoAgentIsNamedWhereTurnedOnAndRefusedElsewhere() {
        let on = CommandParser(demoAgent: true)
        #expect(on.parse("@porter demo add a greeting") == Self.run(.demo, "add a greeting"))
        #expect(on.parse("@porter Demo: add a greeting --ready") == Self.run(.demo, draft: false, "add a greeting"))
        #expect(on.parse("@porter opencode demo the new page") == Self.run(.opencode, "demo the new page"))
        let off = CommandParser()
        #expect(off.parse("@porter demo add a greeting") == .invalid([.demoAgentOff]))
        #expect(off.parse("@porter opencode demo the new page") == Self.run(.opencode, "demo the new page"))
        #expect(off.parse("@porter fix the demo") == Self.run(nil, "fix the demo"))
        let problem = "\(CommandProblem.demoAgentOff)"
        #expect(problem.contains("has not turned on (`PORTER_DEMO_AGENT`)"), "\(problem)")
        #expect(problem.contains("such as `opencode demo …`"), "\(problem)")
    }

    /// What the agent settings and pages build on: a default is always a coding agent.
    @Test func neitherScriptNorDemoIsEverADefaultAgentAndOnlyDemoIsNameable() {
        #expect(Agent(setting: "demo") == nil)
        #expect(Agent(setting: "script") == nil)
        #expect(Agent(setting: "codex") == .codex)
        #expect(Agent(commandWord: "DEMO") == .demo)
        #expect(Agent(commandWord: "script") == nil)
        #expect(Agent.nameable(demo: false) == [.claude, .codex, .opencode, .amp, .gemini])
        #expect(Agent.nameable(demo: true) == [.claude, .codex, .opencode, .amp, .gemini, .demo])
        #expect(Agent.demo.keyNames.isEmpty)
    }

    @Test func helpListsTheDemoAgentOnlyWhereItIsTurnedOn() {
        #expect(!Replies.help(mention: "porter").contains("`demo`"))
        #expect(Replies.help(mention: "porter", demoAgent: true).contains("`gemini`, and `demo`, built in"))
    }

    @Test func problemsReadAsSentences() {
        #expect("\(CommandProblem.unknownFlag("--turbo"))" == "`--turbo` is not a flag Porter knows")
        #expect("\(CommandProblem.conflictingFlags("draft", "ready"))".contains("cannot be used together"))
    }
}
