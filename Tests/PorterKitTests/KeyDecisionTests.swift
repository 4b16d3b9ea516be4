import PorterKit
import Testing

/// Whose provider keys a task runs on, and when it may not run at all.
@Suite struct KeyDecisionTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var agent: Agent = .claude
        var hasAccount = true
        var userKeys: Set<String> = []
        var defaultKeys: Set<String> = []
        var ownFlyApp = false
        var expected: KeyDecision

        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "the requester's own key wins over the operator's", userKeys: ["ANTHROPIC_API_KEY"],
            defaultKeys: ["ANTHROPIC_API_KEY"], expected: .ready(source: "user")),
        Case(
            name: "an account without a key runs on the operator's", defaultKeys: ["ANTHROPIC_API_KEY"],
            expected: .ready(source: "operator")),
        Case(
            name: "no account runs on the operator's", hasAccount: false, defaultKeys: ["ANTHROPIC_API_KEY"],
            expected: .ready(source: "operator")),
        Case(name: "an account with no key anywhere is told which", expected: .missing(["ANTHROPIC_API_KEY"])),
        Case(name: "no account and no operator key asks for sign-in", hasAccount: false, expected: .signInNeeded),
        Case(
            name: "opencode takes either key", agent: .opencode, userKeys: ["OPENAI_API_KEY"],
            expected: .ready(source: "user")),
        Case(
            name: "a key for another agent does not count", agent: .gemini, userKeys: ["ANTHROPIC_API_KEY"],
            defaultKeys: ["ANTHROPIC_API_KEY"], expected: .missing(["GEMINI_API_KEY"])),
        Case(
            name: "in their own Fly app the requester's own key runs",
            userKeys: ["ANTHROPIC_API_KEY", "FLY_API_TOKEN"], defaultKeys: ["ANTHROPIC_API_KEY"], ownFlyApp: true,
            expected: .ready(source: "user")),
        Case(
            name: "in their own Fly app the operator's key is never used", userKeys: ["FLY_API_TOKEN"],
            defaultKeys: ["ANTHROPIC_API_KEY"], ownFlyApp: true, expected: .missing(["ANTHROPIC_API_KEY"])),
        Case(
            name: "in their own Fly app opencode names both keys it could use", agent: .opencode,
            userKeys: ["FLY_API_TOKEN"], defaultKeys: ["ANTHROPIC_API_KEY", "OPENAI_API_KEY"], ownFlyApp: true,
            expected: .missing(["ANTHROPIC_API_KEY", "OPENAI_API_KEY"])),
        Case(
            name: "an agent that takes no key runs anywhere", agent: .script, ownFlyApp: true,
            expected: .ready(source: "operator")),
    ]

    @Test(arguments: cases)
    func decides(_ scenario: Case) {
        let decision = KeyDecision.decide(
            agent: scenario.agent, hasAccount: scenario.hasAccount, userKeys: scenario.userKeys,
            defaultKeys: scenario.defaultKeys, ownFlyApp: scenario.ownFlyApp)
        #expect(decision == scenario.expected)
    }
}
