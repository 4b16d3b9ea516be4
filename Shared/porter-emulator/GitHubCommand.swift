import ArgumentParser
import Foundation
import Hummingbird
import PorterEmulators

/// `porter-emulator github`: the GitHub emulator as a server.
struct GitHubCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "github",
        abstract: "Serve the GitHub emulator: REST API, App and OAuth auth, webhooks, git over HTTP.")

    @Option(help: "The address to listen on.") var host = "127.0.0.1"
    @Option(help: "The port to listen on.") var port = 9001
    @Option(help: "Where to deliver webhooks.") var webhookURL: String?
    @Option(help: "The secret webhooks are signed with.") var webhookSecret = ""
    @Option(help: "The GitHub App's id.") var appID = 1
    @Option(help: "The GitHub App's slug.") var appSlug = "porter"
    @Option(help: "A PEM file with the App's RSA public key; installation tokens need a JWT it verifies.")
    var appPublicKeyFile: String?
    @Option(help: "The App's OAuth client id, which sign-in must name.") var clientID = "Iv1.emulated"
    @Option(help: "The App's OAuth client secret, which the code exchange must present.")
    var clientSecret = "emulated-secret"
    @Option(help: "What a person does at sign-in: page (a consent page), automatic (authorize at once) or deny.")
    var oauthConsent = OAuthConsent.page
    @Option(help: "Who is signed in at the consent page; without it the page asks for a login.")
    var authorizingUser: String?
    @Option(help: "How long user tokens live, in seconds; 0 for tokens that never expire.")
    var userTokenLifetime = 28800
    @Flag(help: "Seed the local demo: octo, signed in, owns octo/hello with an open issue and the App installed.")
    var demo = false

    func run() async throws {
        let publicKey = try appPublicKeyFile.map { try String(contentsOfFile: $0, encoding: .utf8) } ?? ""
        let emulator = try GitHubEmulator(
            app: EmulatedGitHubApp(
                id: appID, slug: appSlug, publicKeyPEM: publicKey, clientID: clientID, clientSecret: clientSecret),
            webhookURL: webhookURL, webhookSecret: webhookSecret)
        emulator.oauthConsent = oauthConsent
        emulator.authorizingUser = authorizingUser
        emulator.userTokenLifetime = userTokenLifetime > 0 ? .seconds(userTokenLifetime) : nil
        let baseURL = "http://\(host):\(port)"
        emulator.baseURL = baseURL
        let demoIssue = demo ? try await emulator.seedDemo() : nil
        let app = Application(router: emulator.router(), configuration: .init(address: .hostname(host, port: port)))
        // Written unbuffered so a script waiting for the line sees it at once.
        FileHandle.standardOutput.write(Data("GitHub emulator serving \(baseURL)\n".utf8))
        if let demoIssue {
            FileHandle.standardOutput.write(
                Data("demo: \(GitHubEmulator.Demo.user) is signed in; the demo issue is \(demoIssue)\n".utf8))
        }
        try await app.runService()
    }
}

extension OAuthConsent: ExpressibleByArgument {}
