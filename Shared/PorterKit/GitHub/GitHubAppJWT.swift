import Crypto
import Foundation
import _CryptoExtras

/// Signs the short-lived RS256 JWTs a GitHub App authenticates with.
public actor GitHubAppJWT {
    private let appID: Int
    private let privateKeyPEM: String
    private var key: _RSA.Signing.PrivateKey?

    public init(credentials: GitHubAppCredentials) {
        self.appID = credentials.appID
        self.privateKeyPEM = credentials.privateKeyPEM.value
    }

    /// A JWT valid from 60 s ago (GitHub's allowance for clock drift) for 9 minutes (GitHub's limit is
    /// 10), its times in whole seconds (GitHub refuses fractional ones) and the App's id as issuer.
    public func token(now: Date = Date()) throws -> String {
        let issued = Int64(now.timeIntervalSince1970.rounded(.down)) - 60
        let claims = #"{"iat":\#(issued),"exp":\#(issued + 600),"iss":"\#(appID)"}"#
        return try Self.sign(claims: claims, with: loadedKey())
    }

    /// A JWT carrying `claims` (JSON text) as they are: `header.claims.signature`, each base64url
    /// without padding, the signature RSASSA-PKCS1-v1_5 over SHA-256 of the first two (JWS's RS256).
    public static func sign(claims: String, with key: _RSA.Signing.PrivateKey) throws -> String {
        let input =
            RandomToken.base64URL(Data(#"{"alg":"RS256","typ":"JWT"}"#.utf8)) + "."
            + RandomToken.base64URL(Data(claims.utf8))
        let signature = try key.signature(for: SHA256.hash(data: Data(input.utf8)), padding: .insecurePKCS1v1_5)
        return input + "." + RandomToken.base64URL(signature.rawRepresentation)
    }

    private func loadedKey() throws -> _RSA.Signing.PrivateKey {
        if let key { return key }
        let loaded = try _RSA.Signing.PrivateKey(pemRepresentation: privateKeyPEM)
        key = loaded
        return loaded
    }
}
