import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// One Server-Sent Event as a browser's EventSource reads it.
struct ServerSentEvent: Sendable, Equatable {
    var id: String?
    var event: String
    var data: String
}

/// A plain HTTP/1.1 client for `text/event-stream` answers: it sends one GET and parses what arrives
/// (status, chunked body, events) as it arrives, the way a browser does. Tests wait on what it has
/// read, never on time.
final class EventStreamClient: Sendable {
    private struct State {
        var raw: [UInt8] = []
        var status: Int?
        var headersEnd: Int?
        var body: [UInt8] = []
        var consumed = 0
        var text = ""
        var events: [ServerSentEvent] = []
        var ended = false
    }

    private let state = Mutex(State())

    var events: [ServerSentEvent] { state.withLock { $0.events } }
    var status: Int? { state.withLock { $0.status } }
    var ended: Bool { state.withLock { $0.ended } }

    /// Opens `path` with `headers`, runs `body` while events arrive, then closes the connection.
    /// With `reading` false, nothing is read after the request is sent: a browser tab that stopped.
    static func open<Result: Sendable>(
        port: Int, path: String, headers: [String: String], reading: Bool = true,
        _ body: (EventStreamClient) async throws -> Result
    ) async throws -> Result {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let client = EventStreamClient()
        return try await channel.executeThenClose { inbound, outbound in
            var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nAccept: text/event-stream\r\n"
            for (name, value) in headers { request += "\(name): \(value)\r\n" }
            try await outbound.write(ByteBuffer(string: request + "\r\n"))
            guard reading else { return try await body(client) }
            return try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    do {
                        for try await chunk in inbound { client.receive(Array(buffer: chunk)) }
                    } catch {}
                    client.state.withLock { $0.ended = true }
                }
                defer { group.cancelAll() }
                return try await body(client)
            }
        }
    }

    /// Waits until `condition` holds for the events read so far, or fails after `seconds`.
    @discardableResult
    func wait(
        _ what: String, seconds: Double = 20, poll: Duration = .milliseconds(20),
        until condition: @Sendable ([ServerSentEvent]) -> Bool
    ) async throws -> [ServerSentEvent] {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            let events = self.events
            if condition(events) { return events }
            try await Task.sleep(for: poll)
        }
        throw EventStreamError.timedOut(what, events: events, status: status)
    }

    func waitForStatus(seconds: Double = 20, poll: Duration = .milliseconds(20)) async throws -> Int {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if let status { return status }
            try await Task.sleep(for: poll)
        }
        throw EventStreamError.timedOut("a response", events: [], status: nil)
    }

    private func receive(_ bytes: [UInt8]) {
        state.withLock { state in
            state.raw += bytes
            if state.headersEnd == nil {
                guard let end = Self.find([13, 10, 13, 10], in: state.raw) else { return }
                state.headersEnd = end + 4
                let head = String(decoding: state.raw[..<end], as: UTF8.self)
                state.status = head.split(separator: " ").dropFirst().first.flatMap { Int($0) }
                state.consumed = end + 4
            }
            Self.dechunk(&state)
            Self.parse(&state)
        }
    }

    /// Moves whole chunks of the chunked body from `raw` to `body`.
    private static func dechunk(_ state: inout State) {
        while true {
            let rest = state.raw[state.consumed...]
            guard let lineEnd = find([13, 10], in: Array(rest)) else { return }
            let sizeText = String(decoding: rest.prefix(lineEnd), as: UTF8.self)
            guard let size = Int(sizeText.split(separator: ";")[0], radix: 16) else { return }
            let start = state.consumed + lineEnd + 2
            guard state.raw.count >= start + size + 2 else { return }
            state.body += state.raw[start..<start + size]
            state.consumed = start + size + 2
            if size == 0 { return }
        }
    }

    private static func parse(_ state: inout State) {
        state.text += String(decoding: state.body, as: UTF8.self)
        state.body = []
        while let range = state.text.range(of: "\n\n") {
            let block = state.text[..<range.lowerBound]
            state.text = String(state.text[range.upperBound...])
            var event = ServerSentEvent(id: nil, event: "message", data: "")
            var data: [Substring] = []
            var any = false
            for line in block.split(separator: "\n", omittingEmptySubsequences: false) {
                if line.hasPrefix(":") { continue }
                any = true
                if line.hasPrefix("id: ") { event.id = String(line.dropFirst(4)) }
                if line.hasPrefix("event: ") { event.event = String(line.dropFirst(7)) }
                if line.hasPrefix("data: ") { data.append(line.dropFirst(6)) }
                if line.hasPrefix("retry: ") { any = false }
            }
            guard any else { continue }
            event.data = data.joined(separator: "\n")
            state.events.append(event)
        }
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for index in 0...(haystack.count - needle.count)
        where haystack[index..<index + needle.count].elementsEqual(needle) {
            return index
        }
        return nil
    }
}

enum EventStreamError: Error, CustomStringConvertible {
    case timedOut(String, events: [ServerSentEvent], status: Int?)

    var description: String {
        switch self {
        case .timedOut(let what, let events, let status):
            "no \(what) (status \(status.map(String.init) ?? "none"), \(events.count) events: \(events.suffix(5)))"
        }
    }
}
