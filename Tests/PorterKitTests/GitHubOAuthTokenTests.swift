import Foundation
import PorterKit
import Testing

@Suite struct GitHubOAuthTokenTests {
    let token = GitHubOAuthToken(
        accessToken: "ghu_accessAAAAAAAAAAAAAAAAAAAAAAAA", expiresAt: Date(timeIntervalSince1970: 1_000),
        refreshToken: "ghr_refreshRRRRRRRRRRRRRRRRRRRRRRRR", refreshTokenExpiresAt: Date(timeIntervalSince1970: 9_000))

    @Test func noTextMadeFromTheTokenShowsItsSecrets() {
        var dumped = ""
        dump(token, to: &dumped)
        for text in ["\(token)", String(reflecting: token), dumped, "\([token])"] {
            #expect(!text.contains("access"), "\(text)")
            #expect(!text.contains("refresh"), "\(text)")
        }
    }

    @Test func expiryCountsTheLeeway() {
        #expect(!token.isExpired(at: Date(timeIntervalSince1970: 900)))
        #expect(token.isExpired(at: Date(timeIntervalSince1970: 900), leeway: 100))
        #expect(token.isExpired(at: Date(timeIntervalSince1970: 1_000)))
        #expect(!GitHubOAuthToken(accessToken: "gho_x").isExpired(at: .distantFuture))
    }
}
