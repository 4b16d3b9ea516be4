extension Agent {
    /// The provider keys the agent can run with; any one of them is enough. The worker receives
    /// every one the task resolved, under these names.
    public var keyNames: [String] {
        switch self {
        case .claude: ["ANTHROPIC_API_KEY"]
        case .codex: ["OPENAI_API_KEY"]
        case .opencode: ["ANTHROPIC_API_KEY", "OPENAI_API_KEY"]
        case .amp: ["AMP_API_KEY"]
        case .gemini: ["GEMINI_API_KEY"]
        case .script, .demo: []
        }
    }
}
