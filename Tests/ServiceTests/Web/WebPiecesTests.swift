import Foundation
import PorterKit
import Testing

@testable import WebAPI

/// The small parts of the web app that need no server.
@Suite struct WebPiecesTests {
    @Test func formsDecodePlusAndPercentEscapesAndKeepEmptyFields() {
        let form = Form("name=ANTHROPIC_API_KEY&value=a%2Bb+c%26d&_csrf=&flag")
        #expect(form["name"] == "ANTHROPIC_API_KEY")
        #expect(form["value"] == "a+b c&d")
        #expect(form["_csrf"] == "")
        #expect(form["flag"] == "")
        #expect(form["missing"] == nil)
    }

    @Test func cookiesAreSecureAndPrefixedOnlyBehindTLS() {
        let secret = Secret(String(repeating: "k", count: 40))
        let tls = SessionSettings(secret: secret, secureCookies: true)
        #expect(tls.sessionCookie == "__Host-porter_session")
        #expect(
            tls.cookie(tls.sessionCookie, value: "v", maxAge: .seconds(60))
                == "__Host-porter_session=v; Path=/; HttpOnly; SameSite=Lax; Max-Age=60; Secure")
        let plain = SessionSettings(secret: secret, secureCookies: false)
        #expect(plain.expiredCookie("porter_session") == "porter_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
    }

    @Test(arguments: [
        ("", "empty_value"), ("   ", "empty_value"), ("two words", "malformed_value"), ("tab\there", "malformed_value"),
        (String(repeating: "x", count: 5000), "too_long"),
    ])
    func pastedSecretsThatCannotBeKeysAreRefused(value: String, code: String) {
        #expect(throws: WebError.self) { try AccountSettings.checkedSecret(value, what: "KEY") }
        do {
            _ = try AccountSettings.checkedSecret(value, what: "KEY")
        } catch {
            #expect(error.code == code)
        }
    }

    @Test func aPastedKeyIsTrimmedOfTheNewlineACopyAddsAndOnlyLongValuesGetAHint() throws {
        #expect(try AccountSettings.checkedSecret("  sk-ant-abc\n", what: "KEY") == "sk-ant-abc")
        #expect(StoredSecret.lastCharacters(of: "sk-ant-0123456789abcdef") == "cdef")
        #expect(StoredSecret.lastCharacters(of: "short-key") == nil)
    }

    @Test func flyNamesAreLowercaseLettersDigitsAndDashes() {
        #expect(AccountSettings.validFlyName("my-workers-2"))
        #expect(!AccountSettings.validFlyName("My_Workers"))
        #expect(!AccountSettings.validFlyName(""))
        #expect(!AccountSettings.validFlyName(String(repeating: "a", count: 64)))
    }

    @Test func tokensAreUnguessableAndComparedWholly() {
        let a = RandomToken.make()
        #expect(a.count == 43)
        #expect(a != RandomToken.make())
        #expect(!a.contains("+") && !a.contains("/") && !a.contains("="))
        #expect(RandomToken.equal(Array("abc".utf8), Array("abc".utf8)))
        #expect(!RandomToken.equal(Array("abc".utf8), Array("abd".utf8)))
        #expect(!RandomToken.equal(Array("abc".utf8), Array("abcd".utf8)))
    }

    @Test func theOpenAPIDocumentDescribesEveryAPIRouteTheRouterServes() throws {
        let directory = Pages.resourceDirectory(environment: [:])
        let data = try Data(contentsOf: URL(fileURLWithPath: directory).appendingPathComponent("openapi.json"))
        let document = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(document["openapi"] as? String == "3.1.0")
        let paths = try #require(document["paths"] as? [String: Any])
        for path in [
            "/api/me", "/api/config", "/api/config/providers", "/api/config/provider-credentials",
            "/api/config/credentials", "/api/config/fly", "/api/config/validate/fly", "/api/startup/check",
            "/api/auth/diagnostics", "/api/rate-limit", "/api/auth/github", "/api/auth/github/callback",
            "/api/auth/logout", "/api/github/installations", "/api/github/repositories",
        ] {
            #expect(paths[path] != nil, "\(path) is undocumented")
        }
    }
}
