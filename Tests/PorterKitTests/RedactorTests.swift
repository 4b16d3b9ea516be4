import PorterKit
import Testing

@Suite struct RedactorTests {
    let redactor = Redactor(knownSecrets: ["correct-horse-battery", "short"])

    @Test(arguments: [
        "ghs_16C7e42F292c6912E7710c838347Ae178B4a",
        "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",
        "gho_16C7e42F292c6912E7710c838347Ae178B4a",
        "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
        "sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789",
        "sk-proj-abcdefghijklmnopqrstuvwxyz0123",
        "FlyV1 fm2_lJPECAAAAAAAAMxBxBBB,fm2_lJPEDDDDDDDDD",
        "fm2_lJPECAAAAAAAAMxBxBBBxyzxyzxyz",
        "AIzaSyA-abcdefghijklmnopqrstuvwxyz012345",
        "ptk_9f8e7d6c5b4a39281706f5e4d3c2b1a0",
        "correct-horse-battery",
    ])
    func knownShapesAreScrubbed(secret: String) {
        let line = "calling api with \(secret) now"
        let redacted = redactor.redact(line)
        #expect(!redacted.contains(secret))
        #expect(redacted.hasPrefix("calling api with "))
        #expect(redacted.contains(Redactor.replacement))
    }

    @Test func pemBlocksAreScrubbedWhole() {
        let text = "key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\ndone"
        #expect(redactor.redact(text) == "key:\n[REDACTED]\ndone")
    }

    @Test func bearerLabelsAndURLUsersAreKept() {
        #expect(redactor.redact("Authorization: Bearer abcdefghijklmnopqrstuv") == "Authorization: Bearer [REDACTED]")
        #expect(
            redactor.redact("cloning https://x-access-token:abc123def@github.com/o/r.git")
                == "cloning https://[REDACTED]@github.com/o/r.git")
    }

    @Test func ordinaryTextIsLeftAlone() {
        let text = "fix the flaky login test in sk-tests/ and ask a short question about tokens"
        #expect(redactor.redact(text) == text)
    }
}
