import AsyncHTTPClient
import Foundation
import PorterKit

/// The release webhook-gateway, started from the folder porter-bench runs from (or `PORTER_BIN_DIR`).
struct GatewayProcess {
    let process: Process
    let port: Int

    static func start(database: DatabaseURL, secret: String) async throws -> GatewayProcess {
        let directory =
            ProcessInfo.processInfo.environment["PORTER_BIN_DIR"].map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        let port = try freePort()
        let process = Process()
        process.executableURL = directory.appendingPathComponent("webhook-gateway")
        process.environment = [
            "DATABASE_URL": database.connectionString, "HOST": "127.0.0.1", "PORT": String(port),
            "GITHUB_WEBHOOK_SECRET": secret, "LOG_LEVEL": "warning",
        ]
        try process.run()
        let gateway = GatewayProcess(process: process, port: port)
        for _ in 0..<600 {
            if try await gateway.isReady() { return gateway }
            try await Task.sleep(for: .milliseconds(50))
        }
        gateway.stop()
        throw BenchmarkError("webhook-gateway did not become ready within 30 s")
    }

    func isReady() async throws -> Bool {
        guard process.isRunning else { throw BenchmarkError("webhook-gateway exited early") }
        let request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/readyz")
        let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(2))
        return response?.status == .ok
    }

    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }
}
