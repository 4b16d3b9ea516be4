import Foundation
import JWTKit

/// Signs the short-lived RS256 JWTs a GitHub App authenticates with.
public actor GitHubAppJWT {
    struct Claims: JWTPayload {
        var iat: IssuedAtClaim
        var exp: ExpirationClaim
        var iss: IssuerClaim

        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    /// Integer seconds: GitHub rejects the fractional timestamps jwt-kit writes by default.
    static let serializer: DefaultJWTSerializer = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Int64(date.timeIntervalSince1970.rounded(.down)))
        }
        return DefaultJWTSerializer(jsonEncoder: encoder)
    }()

    private let appID: Int
    private let privateKeyPEM: String
    private var keys: JWTKeyCollection?

    public init(credentials: GitHubAppCredentials) {
        self.appID = credentials.appID
        self.privateKeyPEM = credentials.privateKeyPEM.value
    }

    /// A JWT valid from 60 s ago (GitHub's allowance for clock drift) for 9 minutes (GitHub's limit is 10).
    public func token(now: Date = Date()) async throws -> String {
        let keys = try await loadedKeys()
        let issued = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down) - 60)
        let claims = Claims(
            iat: .init(value: issued), exp: .init(value: issued.addingTimeInterval(600)),
            iss: .init(value: String(appID)))
        return try await keys.sign(claims)
    }

    private func loadedKeys() async throws -> JWTKeyCollection {
        if let keys { return keys }
        let key = try Insecure.RSA.PrivateKey(pem: privateKeyPEM)
        let collection = await JWTKeyCollection().add(rsa: key, digestAlgorithm: .sha256, serializer: Self.serializer)
        keys = collection
        return collection
    }
}
