import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import _CryptoExtras

extension GitHubEmulator {
    /// The credential in `Authorization: Bearer …` (or GitHub's older `token …`).
    static func bearer(_ request: Request) -> String? {
        guard let header = request.headers[.authorization] else { return nil }
        for scheme in ["Bearer ", "bearer ", "token "] where header.hasPrefix(scheme) {
            return String(header.dropFirst(scheme.count))
        }
        return nil
    }

    /// Checks an App JWT as GitHub does: RS256 signed by the App's key, integer `iat`/`exp`, not expired,
    /// at most 10 minutes long, issued by the App.
    func verifyAppJWT(_ request: Request) throws(GitHubAPIError) {
        guard let token = Self.bearer(request), isValidAppJWT(token) else {
            throw GitHubAPIError(
                status: .unauthorized,
                message: "A JSON web token could not be decoded")
        }
    }

    func isValidAppJWT(_ token: String, now: Date = Date()) -> Bool {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, let headerData = Self.base64URL(parts[0]), let payloadData = Self.base64URL(parts[1]),
            let signature = Self.base64URL(parts[2]),
            let header = try? JSONSerialization.jsonObject(with: headerData) as? [String: Any],
            header["alg"] as? String == "RS256",
            let key = try? _RSA.Signing.PublicKey(pemRepresentation: app.publicKeyPEM)
        else { return false }
        let signed = SHA256.hash(data: Data("\(parts[0]).\(parts[1])".utf8))
        guard
            key.isValidSignature(
                _RSA.Signing.RSASignature(rawRepresentation: signature), for: signed, padding: .insecurePKCS1v1_5)
        else { return false }
        let text = String(decoding: payloadData, as: UTF8.self)
        guard let iat = Self.integerClaim("iat", in: text), let exp = Self.integerClaim("exp", in: text),
            let payload = try? JSONSerialization.jsonObject(with: payloadData) as? [String: Any]
        else { return false }
        let issuer = (payload["iss"] as? String) ?? (payload["iss"] as? Int).map(String.init)
        let seconds = Int(now.timeIntervalSince1970)
        return issuer == String(app.id) && iat <= seconds + 60 && exp > seconds && exp - iat <= 600
    }

    /// The claim's value when it is written as a whole number; GitHub refuses `1700000000.123`.
    static func integerClaim(_ name: String, in json: String) -> Int? {
        guard let range = json.range(of: #""\#(name)"\s*:\s*-?[0-9]+(?=\s*[,}])"#, options: .regularExpression)
        else { return nil }
        return Int(json[range].split(separator: ":").last!.trimmingCharacters(in: .whitespaces))
    }

    static func base64URL(_ text: String) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64)
    }

    /// The live installation token a request carries, or 401 "Bad credentials".
    func installationGrant(_ request: Request) throws(GitHubAPIError) -> (token: String, grant: TokenGrant) {
        guard let token = Self.bearer(request) else {
            throw GitHubAPIError(status: .unauthorized, message: "Requires authentication")
        }
        return try grant(for: token)
    }

    func grant(for token: String) throws(GitHubAPIError) -> (token: String, grant: TokenGrant) {
        guard let grant = state.withLock({ $0.grants[token] }), !grant.revoked, grant.expiresAt > Date() else {
            throw .badCredentials
        }
        return (token, grant)
    }

    /// The repository a token may act on with `permission` (for example `("issues", "write")`).
    /// Repositories outside the token's reach are 404, as GitHub hides them; too weak a permission is 403.
    func authorize(
        _ request: Request, owner: String, repo: String, permission: (String, String)
    ) throws(GitHubAPIError) -> (repository: EmulatedRepository, installationID: Int) {
        let (_, grant) = try installationGrant(request)
        let repository: EmulatedRepository? = state.withLock { state in
            guard let repository = state.repository(owner: owner, name: repo),
                let installation = state.installations[grant.installationID],
                state.installationCovers(installation, repository),
                grant.repositoryIDs?.contains(repository.id) ?? true
            else { return nil }
            return repository
        }
        guard let repository else { throw .notFound }
        guard Self.allows(grant.permissions[permission.0], permission.1) else { throw .notAccessible }
        if request.method != .get && request.method != .head {
            try checkMutationRate(grant.installationID, request: request)
        }
        return (repository, grant.installationID)
    }

    static func allows(_ granted: String?, _ needed: String) -> Bool {
        switch (granted, needed) {
        case ("write", _), ("admin", _): true
        case ("read", "read"): true
        default: false
        }
    }

    /// GitHub's secondary limit on content-creating requests, when switched on: at most about one a second.
    func checkMutationRate(_ installationID: Int, request: Request) throws(GitHubAPIError) {
        let now = ContinuousClock.now
        let call = EmulatedMutation(at: now, method: request.method.rawValue, path: request.uri.path)
        let tooFast = state.withLock { state in
            state.mutationCalls[installationID, default: []].append(call)
            defer { state.lastMutation[installationID] = now }
            // Arrival times jitter by a few milliseconds against a client's departure times.
            guard state.enforceMutationLimit, let last = state.lastMutation[installationID],
                now - last < .milliseconds(950)
            else { return false }
            state.mutationViolations += 1
            return true
        }
        if tooFast {
            var headers = HTTPFields()
            headers[.retryAfter] = "1"
            throw GitHubAPIError(
                status: .forbidden,
                message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
                headers: headers)
        }
    }
}
