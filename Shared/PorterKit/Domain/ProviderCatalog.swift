/// A model provider whose API keys a user can store, and the environment names its keys go by.
public struct Provider: Sendable, Equatable, Codable {
    public var id: String
    public var name: String
    public var keys: [String]
}

extension Provider {
    /// Every provider Porter stores keys for, in the order the settings page lists them.
    public static let catalog: [Provider] = [
        Provider(id: "anthropic", name: "Anthropic", keys: ["ANTHROPIC_API_KEY"]),
        Provider(id: "openai", name: "OpenAI", keys: ["OPENAI_API_KEY"]),
        Provider(id: "google", name: "Google", keys: ["GOOGLE_GENERATIVE_AI_API_KEY", "GEMINI_API_KEY"]),
        Provider(id: "openrouter", name: "OpenRouter", keys: ["OPENROUTER_API_KEY"]),
        Provider(id: "amp", name: "Amp", keys: ["AMP_API_KEY"]),
        Provider(id: "xai", name: "xAI", keys: ["XAI_API_KEY"]),
        Provider(id: "groq", name: "Groq", keys: ["GROQ_API_KEY"]),
        Provider(id: "deepseek", name: "DeepSeek", keys: ["DEEPSEEK_API_KEY"]),
        Provider(id: "zai", name: "Z.AI", keys: ["ZHIPU_API_KEY"]),
        Provider(id: "moonshotai", name: "Moonshot AI", keys: ["MOONSHOT_API_KEY"]),
    ]

    public static func named(_ id: String) -> Provider? { catalog.first { $0.id == id } }

    /// Every key name a user may store as a provider key.
    public static let keyNames: Set<String> = Set(catalog.flatMap(\.keys))
}
