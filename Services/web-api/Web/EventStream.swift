import Foundation
import HTTPTypes
import Hummingbird

/// A Server-Sent Events response: `text/event-stream`, never cached or buffered by a proxy, written
/// until the page goes away or the server shuts down.
enum EventStream {
    /// How long a browser waits before reconnecting after the stream ends.
    static let retry = Duration.seconds(2)

    static func response(
        _ body: @escaping @Sendable (inout Writer) async throws -> Void
    ) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream; charset=utf-8"
        headers[.cacheControl] = "no-store"
        headers[HTTPField.Name("X-Accel-Buffering")!] = "no"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { output in
                var writer = Writer(output: output)
                try await writer.write("retry: \(retry.components.seconds * 1000)\n\n")
                do {
                    try await body(&writer)
                } catch {
                    // The page went away (the write failed) or the stream could not go on: either way
                    // the browser reconnects with the last id it saw.
                }
                try? await writer.output.finish(nil)
            })
    }

    struct Writer {
        var output: any ResponseBodyWriter

        /// One event: `data` is written on as many `data:` lines as it has lines.
        mutating func send(event: String, id: String?, data: String) async throws {
            var text = ""
            if let id { text += "id: \(id)\n" }
            text += "event: \(event)\n"
            for line in data.split(separator: "\n", omittingEmptySubsequences: false) { text += "data: \(line)\n" }
            try await write(text + "\n")
        }

        mutating func send(event: String, id: String?, json value: some Encodable) async throws {
            let data = try JSONAnswer.encoder.encode(value)
            try await send(event: event, id: id, data: String(decoding: data, as: UTF8.self))
        }

        /// A comment line: keeps proxies from closing an idle stream and finds a closed one.
        mutating func ping() async throws { try await write(": ping\n\n") }

        mutating func write(_ text: String) async throws {
            try await output.write(ByteBuffer(string: text))
        }
    }

    /// The id the browser last saw: the `Last-Event-ID` header on a reconnect, else `since` from the page.
    static func lastEventID(_ request: Request) -> String? {
        if let header = request.headers[HTTPField.Name("Last-Event-ID")!], !header.isEmpty { return header }
        return request.uri.queryParameters.get("since").flatMap { $0.isEmpty ? nil : $0 }
    }
}
