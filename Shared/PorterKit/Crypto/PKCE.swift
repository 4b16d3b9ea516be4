import Crypto
import Foundation

/// Proof Key for Code Exchange (RFC 7636) with the S256 method, which GitHub's sign-in accepts: the
/// authorize URL carries the challenge, the code exchange the verifier, so a stolen code is useless alone.
public enum PKCE {
    /// A fresh verifier (43 characters from 32 random bytes) and its challenge.
    public static func generate() -> (verifier: String, challenge: String) {
        let verifier = RandomToken.make()
        return (verifier, challenge(for: verifier))
    }

    /// The S256 challenge: base64url without padding of the verifier's SHA-256.
    public static func challenge(for verifier: String) -> String {
        RandomToken.base64URL(Data(SHA256.hash(data: Data(verifier.utf8))))
    }
}
