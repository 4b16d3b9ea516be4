import Foundation
import PorterKit
import Testing

@Suite struct EncryptionKeyringTests {
    static func key(_ byte: UInt8) -> String { Data(repeating: byte, count: 32).base64EncodedString() }

    @Test func sealedValuesOpenOnlyWithTheSameContext() throws {
        let keyring = try EncryptionKeyring.parse("a:\(Self.key(1))")
        let sealed = try keyring.seal(Data("sk-ant-secret".utf8), context: "user:1:ANTHROPIC_API_KEY")
        #expect(sealed.keyID == "a")
        #expect(try keyring.openString(sealed, context: "user:1:ANTHROPIC_API_KEY") == "sk-ant-secret")
        #expect(throws: CryptoFailure.authenticationFailed(keyID: "a")) {
            try keyring.open(sealed, context: "user:2:ANTHROPIC_API_KEY")
        }
    }

    @Test func everySealUsesAFreshNonce() throws {
        let keyring = try EncryptionKeyring.parse("a:\(Self.key(1))")
        let first = try keyring.seal(Data("same".utf8), context: "c")
        let second = try keyring.seal(Data("same".utf8), context: "c")
        #expect(first.combined != second.combined)
    }

    @Test func rotationKeepsOldValuesReadable() throws {
        let old = try EncryptionKeyring.parse("old:\(Self.key(1))")
        let sealed = try old.seal(Data("value".utf8), context: "c")
        let rotated = try EncryptionKeyring.parse("new:\(Self.key(2)),old:\(Self.key(1))")
        #expect(try rotated.openString(sealed, context: "c") == "value")
        #expect(try rotated.seal(Data("value".utf8), context: "c").keyID == "new")
        let retired = try EncryptionKeyring.parse("new:\(Self.key(2))")
        #expect(throws: CryptoFailure.unknownKey("old")) { try retired.open(sealed, context: "c") }
    }

    @Test(arguments: ["", "nokey", "a:!!!", "a:\(Data(count: 16).base64EncodedString())", "a:\(key(1)),a:\(key(2))"])
    func malformedKeyringsAreRejected(text: String) {
        #expect(throws: InvalidValue.self) { try EncryptionKeyring.parse(text) }
    }

    @Test func descriptionNamesKeyIDsOnly() throws {
        let keyring = try EncryptionKeyring.parse("a:\(Self.key(7))")
        #expect("\(keyring)" == #"EncryptionKeyring(ids: ["a"])"#)
    }
}
