import Foundation
import PorterKit
import Testing

@Suite struct PKCETests {
    /// RFC 7636, appendix B.
    @Test func theChallengeMatchesTheRFCExample() {
        #expect(
            PKCE.challenge(for: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
                == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
    }

    @Test func aGeneratedVerifierIsFreshUnpaddedBase64URLAndMatchesItsChallenge() {
        let first = PKCE.generate()
        let second = PKCE.generate()
        #expect(first.verifier != second.verifier)
        #expect(first.verifier.count == 43)
        let alphabet = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        #expect(first.verifier.allSatisfy(alphabet.contains))
        #expect(first.challenge.allSatisfy(alphabet.contains))
        #expect(first.challenge == PKCE.challenge(for: first.verifier))
    }
}
