import Crypto
import Foundation
import PorterKit
import _CryptoExtras

/// The smallest environment each service starts with, as an operator would write it.
public enum ServiceEnvironment {
    public static let services = ["webhook-gateway", "dispatcher", "callback-receiver", "watchdog", "web-api"]

    /// One RSA key per test process: generating one takes a while.
    public static let appPrivateKeyPEM: String = try! _RSA.Signing.PrivateKey(keySize: .bits2048).pemRepresentation

    public static let encryptionKeys = "k1:" + Data((0..<32).map { UInt8($0) }).base64EncodedString()

    public static func minimal(for service: String, database: DatabaseURL, port: Int? = nil) -> [String: String] {
        var env = ["DATABASE_URL": database.connectionString, "HOST": "127.0.0.1"]
        if let port { env["PORT"] = String(port) }
        // GitHub and Fly at a closed loopback port unless a test points them at its emulators: a
        // service started here (the watchdog reconciles deliveries at once) never reaches outside.
        let app = [
            "GITHUB_APP_ID": "12345", "GITHUB_APP_PRIVATE_KEY": appPrivateKeyPEM,
            "GITHUB_API_URL": "http://127.0.0.1:9",
            "GITHUB_URL": "http://127.0.0.1:9", "FLY_API_URL": "http://127.0.0.1:9",
        ]
        switch service {
        case "webhook-gateway":
            env["GITHUB_WEBHOOK_SECRET"] = "test-webhook-secret"
        case "dispatcher":
            env.merge(app) { $1 }
            env["PORTER_PUBLIC_URL"] = "http://127.0.0.1:8080"
            env["PORTER_CALLBACK_URL"] = "http://127.0.0.1:8082"
            env["PORTER_ENCRYPTION_KEYS"] = encryptionKeys
            env["PORTER_RUNTIME"] = "local"
        case "callback-receiver":
            env.merge(app) { $1 }
            env["PORTER_PUBLIC_URL"] = "http://127.0.0.1:8080"
            env["PORTER_ENCRYPTION_KEYS"] = encryptionKeys
        case "watchdog":
            env.merge(app) { $1 }
            env["PORTER_PUBLIC_URL"] = "http://127.0.0.1:8080"
            env["PORTER_ENCRYPTION_KEYS"] = encryptionKeys
        case "web-api":
            env.merge(app) { $1 }
            env["PORTER_PUBLIC_URL"] = "http://127.0.0.1:8080"
            env["PORTER_ENCRYPTION_KEYS"] = encryptionKeys
            env["PORTER_SESSION_SECRET"] = String(repeating: "s", count: 48)
            env["GITHUB_CLIENT_ID"] = "Iv1.testclient"
            env["GITHUB_CLIENT_SECRET"] = "test-client-secret"
        default:
            preconditionFailure("unknown service \(service)")
        }
        return env
    }
}
