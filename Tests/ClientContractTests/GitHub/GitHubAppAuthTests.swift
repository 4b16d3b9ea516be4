import AsyncHTTPClient
import Foundation
import PorterEmulators
import PorterKit
import Testing

@Suite struct GitHubAppAuthTests {
    static func claims(_ token: String) throws -> String {
        let part = String(token.split(separator: ".")[1])
        var base64 = part.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return String(decoding: try #require(Data(base64Encoded: base64)), as: UTF8.self)
    }

    static func integer(_ name: String, in json: String) -> Int? {
        guard let range = json.range(of: #""\#(name)":-?[0-9]+(?=[,}])"#, options: .regularExpression) else {
            return nil
        }
        return Int(json[range].split(separator: ":")[1])
    }

    @Test func theAppJWTHasIntegerTimesAMinuteBackAndTheAppAsIssuer() async throws {
        let world = try await GitHubWorld.make()
        try await world.live { github, _ in
            let now = Int(Date().timeIntervalSince1970)
            let json = try Self.claims(try await github.appJWT())
            let iat = try #require(Self.integer("iat", in: json), "iat must be a whole number: \(json)")
            let exp = try #require(Self.integer("exp", in: json), "exp must be a whole number: \(json)")
            #expect((now - 62)...(now - 59) ~= iat)
            #expect(exp > now && exp <= now + 600)
            #expect(json.contains(#""iss":"\#(GitHubTestKeys.appID)""#))
        }
    }

    @Test(arguments: [false, true])
    func pkcs1AndPKCS8KeysBothAuthenticate(pkcs8: Bool) async throws {
        let world = try await GitHubWorld.make()
        let repository = try await world.live(pkcs8: pkcs8) { github, _ in
            try await github.repository(installationID: world.installationID, owner: "acme", repo: "widgets")
        }
        #expect(repository.defaultBranch == "main")
        #expect(world.emulator.tokenMintCount(installationID: world.installationID) == 1)
    }

    @Test func theEmulatorRefusesFractionalAndExpiredJWTs() async throws {
        let world = try await GitHubWorld.make()
        // Signed by the App's key and otherwise good, but with fractional seconds, which GitHub refuses
        // (and which many JWT libraries write by default).
        let now = Date().timeIntervalSince1970.rounded(.down) + 0.5
        let fractional = try GitHubAppJWT.sign(
            claims: #"{"iat":\#(now),"exp":\#(now + 300),"iss":"\#(GitHubTestKeys.appID)"}"#, with: GitHubTestKeys.app)
        let claims = try Self.claims(fractional)
        #expect(claims.contains(".5,"), "\(claims)")
        let statuses = try await world.live { _, port in
            var statuses: [UInt] = []
            for token in [fractional, "not.a.jwt"] {
                var request = HTTPClientRequest(
                    url: "http://127.0.0.1:\(port)/app/installations/\(world.installationID)/access_tokens")
                request.method = .POST
                request.headers.add(name: "Authorization", value: "Bearer \(token)")
                statuses.append(try await HTTPClient.shared.execute(request, timeout: .seconds(10)).status.code)
            }
            return statuses
        }
        #expect(statuses == [401, 401])
        #expect(world.emulator.tokenMintCount(installationID: world.installationID) == 0)
    }
}
