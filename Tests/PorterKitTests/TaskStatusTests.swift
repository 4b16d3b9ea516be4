import PorterKit
import Testing

@Suite struct TaskStatusTests {
    @Test(arguments: Array(TaskStatus.terminal))
    func terminalStatesHaveNoSuccessors(status: TaskStatus) {
        #expect(status.successors.isEmpty)
        #expect(TaskStatus.allCases.allSatisfy { !status.canMove(to: $0) })
    }

    @Test func everyNonTerminalStateCanEnd() {
        for status in TaskStatus.allCases where !status.isTerminal {
            #expect(!status.successors.isDisjoint(with: TaskStatus.terminal), "\(status) has no way to finish")
        }
    }

    @Test func noStatusMovesToItself() {
        for status in TaskStatus.allCases { #expect(!status.canMove(to: status)) }
    }

    @Test func activeStatesAreExactlyDispatchingAndRunning() {
        #expect(TaskStatus.active == [.dispatching, .running])
        #expect(TaskStatus.predecessors(of: .running) == [.dispatching])
    }

    @Test func timedOutIsStoredWithAnUnderscore() {
        #expect(TaskStatus.timedOut.rawValue == "timed_out")
        #expect(TaskStatus(rawValue: "timed_out") == .timedOut)
    }

    @Test(arguments: [
        ("claude", Agent.claude), ("Claude-Code", .claude), ("CODEX", .codex), ("opencode", .opencode),
        ("amp", .amp), ("gemini", .gemini),
    ])
    func agentsAndAliasesAreRecognised(word: String, agent: Agent) {
        #expect(Agent(commandWord: word) == agent)
    }

    @Test func otherWordsAreNoAgent() {
        #expect(Agent(commandWord: "fix") == nil)
        #expect(Agent(commandWord: "claude-bot") == nil)
    }

    @Test func priorityRanksRoundTripAndOrder() {
        for priority in TaskPriority.allCases { #expect(TaskPriority(rank: priority.rank) == priority) }
        #expect(TaskPriority.high.rank > TaskPriority.normal.rank)
        #expect(TaskPriority.normal.rank > TaskPriority.low.rank)
    }
}
