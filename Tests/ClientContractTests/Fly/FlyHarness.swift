import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import PorterEmulators
import PorterKit

/// The Fly emulator served on a loopback port, with one org, one app and a token of each kind.
enum FlyHarness {
    static let org = "porter-org"
    static let app = "porter-workers"
    static let orgToken = "FlyV1 fm2_orgtoken0123456789abcdefghij"
    static let appToken = "fm2_apptoken0123456789abcdefghijkl"

    /// Commands standing in for images; the shell keeps them readable and `exec` makes the sleep the
    /// process that receives signals.
    static let images: [String: [String]] = [
        "sleeper": ["/bin/sh", "-c", "exec sleep 30"],
        "env-writer": ["/bin/sh", "-c", #"printenv PORTER_TASK_ID > "$OUT_FILE"; exec sleep 30"#],
        "quick": ["/bin/sh", "-c", "echo finished; exit 0"],
        "stubborn": ["/bin/sh", "-c", "trap '' TERM; echo ready; while true; do sleep 0.1; done"],
    ]

    static func withEmulator(
        rateLimits: Bool = false, startDelay: Duration = .milliseconds(100), moreImages: [String: [String]] = [:],
        _ body: @escaping @Sendable (FlyEmulator, URL) async throws -> Void
    ) async throws {
        let emulator = FlyEmulator(
            options: .init(images: images.merging(moreImages) { $1 }, startDelay: startDelay))
        emulator.enforcesRateLimits = rateLimits
        emulator.addOrganization(org)
        emulator.addApp(app, org: org)
        emulator.addToken(orgToken, scope: .organization(org))
        emulator.addToken(appToken, scope: .app(app))
        defer { emulator.shutdown() }
        try await Application(router: emulator.buildRouter()).test(.live) { client in
            try await body(emulator, URL(string: "http://127.0.0.1:\(client.port!)")!)
        }
    }

    static func client(
        _ url: URL, token: String = orgToken, limiter: RateLimiter = RateLimiter(), pacer: (any FlyPacer)? = nil
    ) -> FlyClient {
        FlyClient(
            baseURL: url, token: Secret(token),
            retry: RetryPolicy(maxAttempts: 6, baseDelay: .milliseconds(20), maxDelay: .seconds(2)),
            limiter: limiter, pacer: pacer, logger: Logger(label: "fly-test"))
    }

    static func request(
        image: String = "sleeper", name: String? = nil, metadata: [String: String] = [:], env: [String: String] = [:],
        autoDestroy: Bool = false
    ) -> CreateMachineRequest {
        CreateMachineRequest(
            name: name, region: "ams",
            config: MachineConfig(
                image: image, env: env, guest: GuestConfig(cpuKind: "shared", cpus: 1, memoryMB: 256),
                autoDestroy: autoDestroy, restart: RestartPolicy(policy: .no), metadata: metadata))
    }

    /// Polls `condition` for up to `timeout`: for process effects that the API does not report.
    static func eventually(timeout: Duration = .seconds(10), _ condition: () -> Bool) async throws -> Bool {
        let end = ContinuousClock.now + timeout
        while ContinuousClock.now < end {
            if condition() { return true }
            try await Task.sleep(for: .milliseconds(25))
        }
        return condition()
    }
}
