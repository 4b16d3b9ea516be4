import Crypto
import Foundation

/// `PORTER_ENCRYPTION_KEYS`: AES-256 keys by id. The first key encrypts; every key decrypts, so a key
/// can be rotated in by putting it first and re-encrypting.
public struct EncryptionKeyring: Sendable, CustomStringConvertible {
    public struct Key: Sendable {
        public let id: String
        let key: SymmetricKey
    }

    public let keys: [Key]

    public var primary: Key { keys[0] }
    public var description: String { "EncryptionKeyring(ids: \(keys.map(\.id)))" }

    public init(keys: [(id: String, bytes: [UInt8])]) throws {
        guard !keys.isEmpty else { throw InvalidValue("must hold at least one key") }
        var seen = Set<String>()
        self.keys = try keys.map { entry in
            guard entry.bytes.count == 32 else { throw InvalidValue("key '\(entry.id)' must be 32 bytes") }
            guard seen.insert(entry.id).inserted else { throw InvalidValue("key id '\(entry.id)' appears twice") }
            return Key(id: entry.id, key: SymmetricKey(data: entry.bytes))
        }
    }

    /// Parses `id:base64(32 bytes)[,id:base64…]`.
    public static func parse(_ value: String) throws -> EncryptionKeyring {
        let entries = try value.split(separator: ",").map { part -> (id: String, bytes: [UInt8]) in
            let pieces = part.trimmingCharacters(in: .whitespaces).split(separator: ":", maxSplits: 1)
            guard pieces.count == 2, !pieces[0].isEmpty,
                pieces[0].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
            else { throw InvalidValue("must be a comma-separated list of id:base64key") }
            guard let bytes = Data(base64Encoded: String(pieces[1])) else {
                throw InvalidValue("key '\(pieces[0])' is not valid base64")
            }
            return (String(pieces[0]), [UInt8](bytes))
        }
        return try EncryptionKeyring(keys: entries)
    }

    /// Encrypts with the primary key; `context` is authenticated but not stored, binding the value to
    /// its owner and purpose (a ciphertext moved to another row fails to open).
    public func seal(_ plaintext: some DataProtocol, context: String) throws -> SealedValue {
        let box = try AES.GCM.seal(
            plaintext, using: primary.key, nonce: AES.GCM.Nonce(), authenticating: Data(context.utf8))
        return SealedValue(keyID: primary.id, combined: [UInt8](box.combined!))
    }

    public func open(_ sealed: SealedValue, context: String) throws -> [UInt8] {
        guard let key = keys.first(where: { $0.id == sealed.keyID }) else {
            throw CryptoFailure.unknownKey(sealed.keyID)
        }
        do {
            let box = try AES.GCM.SealedBox(combined: sealed.combined)
            return [UInt8](try AES.GCM.open(box, using: key.key, authenticating: Data(context.utf8)))
        } catch {
            throw CryptoFailure.authenticationFailed(keyID: sealed.keyID)
        }
    }

    public func openString(_ sealed: SealedValue, context: String) throws -> String {
        guard let text = String(bytes: try open(sealed, context: context), encoding: .utf8) else {
            throw CryptoFailure.notText
        }
        return text
    }
}

/// A value encrypted at rest: the id of the key that sealed it and nonce ‖ ciphertext ‖ tag.
public struct SealedValue: Sendable, Equatable {
    public let keyID: String
    public let combined: [UInt8]

    public init(keyID: String, combined: [UInt8]) {
        self.keyID = keyID
        self.combined = combined
    }
}

public enum CryptoFailure: Error, Equatable, CustomStringConvertible {
    case unknownKey(String)
    case authenticationFailed(keyID: String)
    case notText

    public var description: String {
        switch self {
        case .unknownKey(let id): "no configured encryption key has id '\(id)'"
        case .authenticationFailed(let id): "value sealed with key '\(id)' failed authentication"
        case .notText: "decrypted value is not UTF-8 text"
        }
    }
}
