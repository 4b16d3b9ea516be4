extension Migration {
    static let v5FlyPacing = Migration(
        version: 5, name: "fly pacing",
        statements: [
            // Fly's per-app limits are shared by every dispatcher replica: each Fly call reserves the next
            // slot of its key (`<app> <operation>`) here, GCRA style, `tat` being the key's theoretical
            // arrival time. A row whose `tat` has passed is a rested key, the same as no row, so stale rows
            // are harmless and never cleaned up (there is one per app and operation). Unlogged: the pacing
            // is worth no WAL or fsync per Fly call, and after a crash an empty table only grants one burst.
            "CREATE UNLOGGED TABLE fly_pacing (key text PRIMARY KEY, tat timestamptz NOT NULL)"
        ])
}
