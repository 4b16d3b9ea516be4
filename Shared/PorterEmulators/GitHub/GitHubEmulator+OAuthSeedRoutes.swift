import Foundation
import HTTPTypes
import Hummingbird

/// `/_emulator/oauth…`: the sign-in knobs over HTTP, for an emulator run standalone.
extension GitHubEmulator {
    struct OAuthSettings: Decodable {
        var consent: OAuthConsent?
        var authorizingUser: String?
        /// 0 hands out tokens that never expire.
        var userTokenLifetimeSeconds: Int?
    }

    struct OAuthExpiry: Decodable {
        var login: String
        var refreshTokens: Bool?
    }

    struct OAuthCounts: ResponseEncodable {
        var codeExchanges: Int
        var tokenRefreshes: Int
    }

    func addOAuthSeedRoutes(to router: Router<BasicRequestContext>) {
        // Fields left out keep their value.
        router.put("/_emulator/oauth") { request, context -> HTTPResponse.Status in
            let settings = try await request.decode(as: OAuthSettings.self, context: context)
            if let consent = settings.consent { self.oauthConsent = consent }
            if let login = settings.authorizingUser { self.authorizingUser = login.isEmpty ? nil : login }
            if let seconds = settings.userTokenLifetimeSeconds {
                self.userTokenLifetime = seconds > 0 ? .seconds(seconds) : nil
            }
            return .noContent
        }
        router.get("/_emulator/oauth") { _, _ in
            OAuthCounts(codeExchanges: self.oauthCodeExchanges, tokenRefreshes: self.oauthTokenRefreshes)
        }
        router.post("/_emulator/oauth/expire") { request, context -> HTTPResponse.Status in
            let expiry = try await request.decode(as: OAuthExpiry.self, context: context)
            self.expireUserTokens(of: expiry.login, includingRefreshTokens: expiry.refreshTokens ?? false)
            return .noContent
        }
    }
}
