import Foundation
import Hummingbird
import Logging
import NIOCore

extension FlyEmulator {
    /// The emulator as a server on `host:port` (port 0 picks a free one); `onListening` gets the base URL.
    public func application(
        host: String, port: Int, logger: Logger = Logger(label: "fly-emulator"),
        onListening: @escaping @Sendable (URL) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        Application(
            router: buildRouter(), configuration: .init(address: .hostname(host, port: port)),
            onServerRunning: { channel in
                let bound = channel.localAddress?.port ?? port
                await onListening(URL(string: "http://\(host):\(bound)")!)
            },
            logger: logger)
    }
}
