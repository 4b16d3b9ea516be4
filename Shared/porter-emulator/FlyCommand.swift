import ArgumentParser
import Foundation
import PorterEmulators

/// `porter-emulator fly`: the Fly Machines API emulator as a server, running Machines as local processes.
struct FlyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fly",
        abstract: "Serve an emulated Fly Machines API whose Machines run as local child processes.")

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on (0 picks a free one).") var port = 9002
    @Option(
        name: .customLong("image"),
        help: "NAME=COMMAND: run COMMAND with /bin/sh -c for Machines of image NAME (repeatable).")
    var images: [String] = []
    @Option(help: "An org token to accept (with --org).") var token: String?
    @Option(help: "The organization slug the token and apps belong to.") var org = "personal"
    @Option(name: .customLong("app"), help: "An app to create in the organization (repeatable).") var apps: [String] =
        []
    @Flag(help: "Do not enforce Fly's per-action rate limits.") var noRateLimits = false

    func validate() throws {
        for image in images where !image.contains("=") {
            throw ValidationError("--image \(image): expected NAME=COMMAND")
        }
    }

    func run() async throws {
        var commands: [String: [String]] = [:]
        for image in images {
            let parts = image.split(separator: "=", maxSplits: 1).map(String.init)
            commands[parts[0]] = ["/bin/sh", "-c", parts[1]]
        }
        let emulator = FlyEmulator(options: .init(images: commands))
        emulator.enforcesRateLimits = !noRateLimits
        emulator.addOrganization(org)
        if let token { emulator.addToken(token, scope: .organization(org)) }
        for app in apps { emulator.addApp(app, org: org) }
        defer { emulator.shutdown() }
        let app = emulator.application(host: host, port: port) { url in
            FileHandle.standardOutput.write(Data((url.absoluteString + "\n").utf8))
        }
        try await app.runService()
    }
}
