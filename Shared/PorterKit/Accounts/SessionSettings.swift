import Crypto
import Foundation

/// How sessions are named, signed and aged (`PORTER_SESSION_SECRET`, `PORTER_SESSION_IDLE_TIMEOUT`,
/// `PORTER_SESSION_LIFETIME`).
public struct SessionSettings: Sendable {
    /// Keys the HMAC under which session ids and sign-in bindings are stored: a cookie minted by a
    /// deployment with another secret finds no session here.
    let secret: SymmetricKey
    /// A session unused this long ends.
    public var idleTimeout: Duration
    /// A session ends this long after sign-in, however much it is used.
    public var lifetime: Duration
    /// Behind TLS cookies are `Secure` and carry the `__Host-` prefix, which browsers accept only on
    /// secure cookies; a plain-HTTP local stack gets the same cookies without both.
    public var secureCookies: Bool

    public init(
        secret: Secret<String>, idleTimeout: Duration = .seconds(3 * 86_400),
        lifetime: Duration = .seconds(30 * 86_400), secureCookies: Bool
    ) {
        self.secret = SymmetricKey(data: SHA256.hash(data: Data(secret.value.utf8)))
        self.idleTimeout = idleTimeout
        self.lifetime = lifetime
        self.secureCookies = secureCookies
    }

    /// What the database stores for a cookie value: its HMAC under the session secret.
    func digest(_ value: String) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Data(value.utf8), using: secret))
    }

    public var sessionCookie: String { secureCookies ? "__Host-porter_session" : "porter_session" }
    public var signInCookie: String { secureCookies ? "__Host-porter_sign_in" : "porter_sign_in" }

    /// A `Set-Cookie` value: HttpOnly, SameSite=Lax, path `/`, `Secure` behind TLS.
    public func cookie(_ name: String, value: String, maxAge: Duration?) -> String {
        var parts = ["\(name)=\(value)", "Path=/", "HttpOnly", "SameSite=Lax"]
        if let maxAge { parts.append("Max-Age=\(maxAge.components.seconds)") }
        if secureCookies { parts.append("Secure") }
        return parts.joined(separator: "; ")
    }

    /// A `Set-Cookie` value that removes `name`.
    public func expiredCookie(_ name: String) -> String {
        var parts = ["\(name)=", "Path=/", "HttpOnly", "SameSite=Lax", "Max-Age=0"]
        if secureCookies { parts.append("Secure") }
        return parts.joined(separator: "; ")
    }
}
