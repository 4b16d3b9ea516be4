extension Migration {
    static let v10RequesterFlyApp = Migration(
        version: 10, name: "requester fly app",
        statements: [
            // Whether the attempt's worker runs in the requester's own Fly app, created with their token:
            // they can read that Machine's environment and memory, so the operator's provider keys are
            // never served to it. NULL for attempts recorded before this column existed.
            "ALTER TABLE task_attempts ADD COLUMN requester_fly_app boolean"
        ])
}
