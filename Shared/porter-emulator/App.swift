import ArgumentParser

/// Runs the GitHub or Fly emulator as a standalone server, for the local stack and benchmarks.
@main
struct App: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "porter-emulator",
        abstract: "Protocol-faithful emulators of the GitHub and Fly Machines APIs, for local runs and tests.",
        subcommands: EmulatorCommands.all)
}
