import Foundation
import PorterEmulators
import PorterKit
import Testing

/// The two token setups Porter supports, and what a bad token looks like to an operator.
@Suite struct FlyTokenTests {
    @Test func anOrgTokenValidatesForItsOrgAndCreatesApps() async throws {
        try await FlyHarness.withEmulator { emulator, url in
            let fly = FlyHarness.client(url, token: FlyHarness.orgToken)
            #expect(try await fly.validate(app: nil, org: FlyHarness.org).get() == .organization(FlyHarness.org))
            try await fly.createWorkerApp("porter-new", org: FlyHarness.org)
            #expect(emulator.appNames.contains("porter-new"))
            #expect(try await fly.app("porter-new").organization?.slug == FlyHarness.org)
            #expect(try await fly.apps(org: FlyHarness.org).map(\.name).contains("porter-new"))
        }
    }

    @Test func anAppTokenWorksOnItsAppAndIsRefusedElsewhere() async throws {
        try await FlyHarness.withEmulator { emulator, url in
            emulator.addApp("someone-else", org: FlyHarness.org)
            let fly = FlyHarness.client(url, token: FlyHarness.appToken)
            let setup = await fly.validate(app: FlyHarness.app, org: FlyHarness.org)
            #expect(try setup.get() == .app(FlyHarness.app))
            _ = try await fly.createMachine(app: FlyHarness.app, FlyHarness.request())

            let refused = await #expect(throws: APIError.self) { try await fly.machines(app: "someone-else") }
            #expect(refused?.statusCode == 403)
            let problem = await fly.validate(app: "someone-else", org: nil)
            guard case .failure(let failure) = problem else {
                Issue.record("expected a problem, got \(problem)")
                return
            }
            #expect(failure.kind == .forbidden)
            #expect(failure.message.contains("someone-else"))
        }
    }

    @Test(arguments: [FlyHarness.orgToken + "x", "fm2_notarealtoken0123456789abcdefgh"])
    func aBadTokenGivesAReadableProblemWithoutTheToken(token: String) async throws {
        try await FlyHarness.withEmulator { _, url in
            let result = await FlyHarness.client(url, token: token).validate(app: FlyHarness.app, org: FlyHarness.org)
            guard case .failure(let problem) = result else {
                Issue.record("expected a problem, got \(result)")
                return
            }
            #expect(problem.kind == .unauthorized)
            #expect(problem.message.contains("rejected the token"))
            #expect(!problem.message.contains(token))
            #expect(!"\(problem)".contains("fm2_"))
        }
    }

    @Test func aMissingAppIsReportedAsMissing() async throws {
        try await FlyHarness.withEmulator { _, url in
            let result = await FlyHarness.client(url).validate(app: "no-such-app", org: nil)
            guard case .failure(let problem) = result else {
                Issue.record("expected a problem, got \(result)")
                return
            }
            #expect(problem.kind == .appNotFound)
        }
    }

    @Test func flyV1TokensAreSentAsTheWholeAuthorizationValue() async throws {
        try await FlyHarness.withEmulator { emulator, url in
            emulator.addToken("FlyV1 fm2_macaroon,fm2_discharge", scope: .app(FlyHarness.app))
            emulator.addToken("fm2_macaroon,fm2_discharge", scope: .organization("elsewhere"))
            let fly = FlyHarness.client(url, token: "FlyV1 fm2_macaroon,fm2_discharge")
            let app = try await fly.app(FlyHarness.app)
            #expect(app.name == FlyHarness.app)
        }
    }
}
