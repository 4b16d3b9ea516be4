import ArgumentParser

/// The emulators this binary can run; each adds its command here.
enum EmulatorCommands {
    static let all: [any ParsableCommand.Type] = [GitHubCommand.self, FlyCommand.self]
}
