import Foundation
import PorterKit
import PorterTestSupport
import PostgresNIO
import ServiceLifecycle

/// The side-effect deliverer as the dispatcher runs it (wake-ups, timed wake for deferred effects),
/// and optionally the status refresh sweep every `interval`, while `body` runs.
enum LiveDelivery {
    static func run(
        _ database: PostgresClient, _ github: GitHubClient, refresh: StatusRefreshSweep? = nil,
        _ body: @escaping @Sendable () async throws -> Void
    ) async throws {
        let deliverer = SideEffectDeliverer(
            queue: PostgresSideEffectQueue(client: database, logger: TestDatabase.logger), github: github,
            wakeups: JobWakeups(client: database, channel: SideEffectDeliverer.channel, logger: TestDatabase.logger),
            owner: "live", retry: SideEffectDeliveryTests.quickRetry, logger: TestDatabase.logger)
        let group = ServiceGroup(
            configuration: .init(services: [deliverer], gracefulShutdownSignals: [], logger: TestDatabase.logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            if let refresh {
                tasks.addTask {
                    while !Task.isCancelled {
                        _ = try? await refresh.sweep(lead: AlwaysLeading())
                        try? await Task.sleep(for: refresh.interval)
                    }
                }
            }
            defer { tasks.cancelAll() }
            do {
                try await body()
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
        }
    }
}
