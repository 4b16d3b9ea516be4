extension Migration {
    static let v11Accounts = Migration(
        version: 11, name: "accounts",
        statements: [
            // Idle expiry: a session unused for the idle timeout ends before its absolute expiry.
            "ALTER TABLE sessions ADD COLUMN last_seen_at timestamptz NOT NULL DEFAULT now()",
            // A sign-in in progress: the state GitHub echoes back (hashed), the hash of the browser's
            // binding cookie, and the PKCE verifier. Taken once by the callback, so a state replays never.
            """
            CREATE TABLE oauth_logins (
                state_hash bytea PRIMARY KEY,
                binding_hash bytea NOT NULL,
                code_verifier text NOT NULL,
                return_to text,
                created_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            "CREATE INDEX oauth_logins_created_at ON oauth_logins (created_at)",
            // The last characters of a stored key, shown so people can tell keys apart without the value.
            "ALTER TABLE user_secrets ADD COLUMN hint text",
            "ALTER TABLE oauth_tokens ADD COLUMN refresh_expires_at timestamptz",
        ])
}
