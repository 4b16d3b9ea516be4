import Foundation

/// Readers for the Porter-specific variables several services share.
extension EnvironmentReader {
    /// `PORTER_PUBLIC_URL`: where people reach the UI; links in comments point here.
    public mutating func publicURL() -> URL? { required("PORTER_PUBLIC_URL", Parse.httpURL) }

    /// `PORTER_ENCRYPTION_KEYS`: the keyring for secrets at rest.
    public mutating func encryptionKeys() -> EncryptionKeyring? {
        required("PORTER_ENCRYPTION_KEYS", EncryptionKeyring.parse)
    }

    /// `PORTER_RUNTIME`: fly (default) or local.
    public mutating func workerRuntime() -> WorkerRuntime {
        optional("PORTER_RUNTIME", default: .fly, Parse.oneOf(WorkerRuntime.self))
    }

    /// `PORTER_DEMO_AGENT`: the built-in `demo` agent may be named and run (default false; `scripts/dev`
    /// turns it on, production leaves it off).
    public mutating func demoAgent() -> Bool { optional("PORTER_DEMO_AGENT", default: false, Parse.bool) }
}
