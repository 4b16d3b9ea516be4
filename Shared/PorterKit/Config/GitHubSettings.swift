import Foundation
import _CryptoExtras

/// Where GitHub is (`GITHUB_API_URL`, `GITHUB_URL`): github.com by default, GitHub Enterprise Server by changing both.
public struct GitHubEndpoints: Sendable {
    public var apiURL: URL
    public var webURL: URL

    public init(apiURL: URL = URL(string: "https://api.github.com")!, webURL: URL = URL(string: "https://github.com")!)
    {
        self.apiURL = apiURL
        self.webURL = webURL
    }

    public static func read(from env: inout EnvironmentReader) -> GitHubEndpoints {
        let defaults = GitHubEndpoints()
        return GitHubEndpoints(
            apiURL: env.optional("GITHUB_API_URL", default: defaults.apiURL, Parse.httpURL),
            webURL: env.optional("GITHUB_URL", default: defaults.webURL, Parse.httpURL))
    }
}

/// The GitHub App's identity: its id, slug and RSA private key (PKCS#1 or PKCS#8 PEM).
public struct GitHubAppCredentials: Sendable {
    public var appID: Int
    public var slug: String?
    public var privateKeyPEM: Secret<String>

    public init(appID: Int, slug: String?, privateKeyPEM: String) {
        self.appID = appID
        self.slug = slug
        self.privateKeyPEM = Secret(privateKeyPEM)
    }

    /// Reads `GITHUB_APP_ID`, `GITHUB_APP_SLUG` and the key from `GITHUB_APP_PRIVATE_KEY` or
    /// `GITHUB_APP_PRIVATE_KEY_FILE`, checking that the key is a loadable RSA key.
    public static func read(from env: inout EnvironmentReader) -> GitHubAppCredentials? {
        let appID = env.required("GITHUB_APP_ID", Parse.positiveInt)
        let slug = env.optional("GITHUB_APP_SLUG", Parse.string)
        let pem: String?
        switch (env.raw("GITHUB_APP_PRIVATE_KEY"), env.raw("GITHUB_APP_PRIVATE_KEY_FILE")) {
        case (.some, .some):
            env.report(
                "GITHUB_APP_PRIVATE_KEY", "set only one of GITHUB_APP_PRIVATE_KEY and GITHUB_APP_PRIVATE_KEY_FILE")
            pem = nil
        case (.some, nil):
            pem = env.required("GITHUB_APP_PRIVATE_KEY") {
                try privateKey(fromPEM: $0.replacingOccurrences(of: "\\n", with: "\n"))
            }
        case (nil, .some):
            pem = env.required("GITHUB_APP_PRIVATE_KEY_FILE") { path in
                guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                    throw InvalidValue("names a file that cannot be read")
                }
                return try privateKey(fromPEM: text)
            }
        case (nil, nil):
            env.report("GITHUB_APP_PRIVATE_KEY", "is required but not set (or set GITHUB_APP_PRIVATE_KEY_FILE)")
            pem = nil
        }
        guard let appID, let pem else { return nil }
        return GitHubAppCredentials(appID: appID, slug: slug, privateKeyPEM: pem)
    }

    static func privateKey(fromPEM text: String) throws -> String {
        let pem = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (try? _RSA.Signing.PrivateKey(pemRepresentation: pem)) != nil else {
            throw InvalidValue("must be an RSA private key in PEM form (PKCS#1 or PKCS#8)")
        }
        return pem
    }
}

/// The OAuth App side of the GitHub App, used for sign-in (`GITHUB_CLIENT_ID`, `GITHUB_CLIENT_SECRET`).
public struct GitHubOAuthCredentials: Sendable {
    public var clientID: String
    public var clientSecret: Secret<String>

    public init(clientID: String, clientSecret: Secret<String>) {
        self.clientID = clientID
        self.clientSecret = clientSecret
    }

    public static func read(from env: inout EnvironmentReader) -> GitHubOAuthCredentials? {
        let id = env.required("GITHUB_CLIENT_ID", Parse.string)
        let secret = env.required("GITHUB_CLIENT_SECRET", Parse.secret)
        guard let id, let secret else { return nil }
        return GitHubOAuthCredentials(clientID: id, clientSecret: secret)
    }
}
