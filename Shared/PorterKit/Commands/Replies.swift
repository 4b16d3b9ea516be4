/// The texts Porter posts on issues in answer to a command.
public enum Replies {
    /// The command syntax; `demoAgent` when the built-in `demo` agent is turned on (`PORTER_DEMO_AGENT`).
    public static func help(mention: String, demoAgent: Bool = false) -> String {
        let demo =
            demoAgent
            ? ", and `demo`, built in: offline and without a key, it records the request in `PORTER_DEMO.md`" : ""
        return """
            **Porter** turns a comment into a pull request.

            ```
            @\(mention) [<agent>] [--model=<id>] [--priority=low|normal|high] [--draft|--ready] [--base=<branch>] [<instructions>]
            @\(mention) stop | retry | status | help
            ```

            Agents: `claude` (`claude-code`), `codex`, `opencode`, `amp`, `gemini`\(demo). With no agent named, \
            your default from Porter's settings is used, else `opencode`. Flags take `--flag=value` or \
            `--flag value`. `stop` cancels the issue's running task, `retry` runs its latest task again, \
            `status` says where it stands.
            """
    }

    public static func invalidCommand(_ problems: [CommandProblem], mention: String) -> String {
        let lines = problems.map { "- \($0)" }.joined(separator: "\n")
        return """
            Porter did not start anything: the command has \(problems.count == 1 ? "a problem" : "problems").

            \(lines)

            Comment `@\(mention) help` for the command syntax.
            """
    }
}
