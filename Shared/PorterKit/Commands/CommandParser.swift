import Foundation

/// Reads `@porter [<agent>] [--model=<id>] [--priority=low|normal|high] [--draft|--ready]
/// [--base=<branch>] [<instructions>]` and `@porter stop | retry | status | help` from a comment.
public struct CommandParser: Sendable {
    /// Comments are capped before parsing; GitHub allows 65,536 characters.
    public static let maximumCommentLength = 65_536

    let scanner: MentionScanner
    /// `PORTER_DEMO_AGENT`: a command may name the built-in `demo` agent; otherwise naming it is a problem.
    let demoAgent: Bool

    public init(mention: String = "porter", demoAgent: Bool = false) {
        scanner = MentionScanner(mention: mention)
        self.demoAgent = demoAgent
    }

    public func parse(_ comment: String) -> CommandParseResult {
        guard let found = scanner.scan(String(comment.prefix(Self.maximumCommentLength))) else { return .noMention }
        let tokens = Self.tokens(of: found.commandLine)
        let following = found.followingLines.trimmingCharacters(in: .whitespacesAndNewlines)

        if let first = tokens.first, tokens.count == 1,
            let verb = ControlVerb(rawValue: first.text.lowercased().trimmingCharacters(in: .punctuationCharacters))
        {
            return .command(.control(verb))
        }

        var options = RunOptions()
        var problems: [CommandProblem] = []
        var seen: Set<String> = []
        var instructionStart: String.Index?
        var index = 0
        while index < tokens.count {
            let token = tokens[index]
            index += 1
            guard let flag = Self.flagName(token.text) else {
                let word =
                    token.text.hasSuffix(",") || token.text.hasSuffix(":") ? String(token.text.dropLast()) : token.text
                if options.agent == nil, instructionStart == nil, let agent = Agent(commandWord: word) {
                    if agent == .demo, !demoAgent { problems.append(.demoAgentOff) }
                    options.agent = agent
                } else if instructionStart == nil {
                    instructionStart = token.start
                }
                continue
            }
            // Past the first instruction word, an unknown `--word` is text, not a flag.
            guard let known = Flag(rawValue: flag.name.lowercased()) else {
                if instructionStart == nil { problems.append(.unknownFlag(token.text)) }
                continue
            }
            if !seen.insert(known.rawValue).inserted { problems.append(.repeatedFlag(known.rawValue)) }
            var value = flag.value
            if known.takesValue, value == nil, index < tokens.count, Self.flagName(tokens[index].text) == nil {
                value = tokens[index].text
                index += 1
            }
            if let problem = known.apply(value, to: &options) { problems.append(problem) }
        }
        if seen.contains(Flag.draft.rawValue), seen.contains(Flag.ready.rawValue) {
            problems.append(.conflictingFlags("draft", "ready"))
        }
        guard problems.isEmpty else { return .invalid(problems) }

        let firstLine = instructionStart.map { Self.instructionText(found.commandLine[$0...], tokens: tokens) } ?? ""
        options.instructions = [firstLine, following].filter { !$0.isEmpty }.joined(separator: "\n")
        return .command(.run(options))
    }

    struct Token {
        var text: String
        var start: String.Index
    }

    static func tokens(of line: String) -> [Token] {
        var tokens: [Token] = []
        var index = line.startIndex
        while index < line.endIndex {
            if line[index].isWhitespace {
                index = line.index(after: index)
                continue
            }
            let start = index
            while index < line.endIndex, !line[index].isWhitespace { index = line.index(after: index) }
            tokens.append(Token(text: String(line[start..<index]), start: start))
        }
        return tokens
    }

    /// `--name` or `--name=value`; phones and GitHub's editor turn `--` into an em or en dash.
    static func flagName(_ text: String) -> (name: String, value: String?)? {
        let body: Substring
        if text.hasPrefix("--") {
            body = text.dropFirst(2)
        } else if text.hasPrefix("—") || text.hasPrefix("–") {
            body = text.dropFirst(1)
        } else {
            return nil
        }
        guard let first = body.first, first.isLetter else { return nil }
        guard let equals = body.firstIndex(of: "=") else { return (String(body), nil) }
        return (String(body[..<equals]), String(body[body.index(after: equals)...]))
    }

    /// The instructions on the command line, without the known flags that were read after them.
    static func instructionText(_ text: Substring, tokens: [Token]) -> String {
        var words: [String] = []
        var skipNext = false
        for token in tokens where token.start >= text.startIndex {
            if skipNext {
                skipNext = false
                continue
            }
            if let flag = flagName(token.text), let known = Flag(rawValue: flag.name.lowercased()) {
                skipNext = known.takesValue && flag.value == nil
                continue
            }
            words.append(token.text)
        }
        return words.joined(separator: " ")
    }
}
