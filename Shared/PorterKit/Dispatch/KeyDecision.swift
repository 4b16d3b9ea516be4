/// Whose keys a task runs on, decided from names only: no key is opened to decide it.
public enum KeyDecision: Sendable, Equatable {
    case ready(source: String)
    /// The requester has an account but no key the agent takes that may be used: neither they nor the
    /// operator have one, or the task runs in their own Fly app and they have none of their own.
    case missing([String])
    /// No account and no operator key: the requester must sign in.
    case signInNeeded

    /// `ownFlyApp`: the worker runs in the requester's own Fly app, whose Machines' environment and
    /// memory they can read, so the operator's keys may not go there.
    public static func decide(
        agent: Agent, hasAccount: Bool, userKeys: Set<String>, defaultKeys: Set<String>, ownFlyApp: Bool
    )
        -> KeyDecision
    {
        if agent.keyNames.isEmpty { return .ready(source: "operator") }
        if hasAccount, agent.keyNames.contains(where: userKeys.contains) { return .ready(source: "user") }
        if ownFlyApp { return .missing(agent.keyNames) }
        if agent.keyNames.contains(where: defaultKeys.contains) { return .ready(source: "operator") }
        return hasAccount ? .missing(agent.keyNames) : .signInNeeded
    }
}
