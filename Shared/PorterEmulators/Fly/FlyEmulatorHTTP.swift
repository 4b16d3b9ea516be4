import Foundation
import HTTPTypes
import Hummingbird

/// An error answered the way Fly does: a status and `{"error": "…"}` (the swagger's `ErrorResponse`).
struct FlyEmulatorError: HTTPResponseError {
    var status: HTTPResponse.Status
    var message: String
    var headers: HTTPFields = [:]

    init(_ status: HTTPResponse.Status, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.message = message
        self.headers = headers
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = try FlyJSON.response(FlyWire.ErrorResponse(error: message), status: status)
        response.headers.append(contentsOf: headers)
        return response
    }
}

enum FlyJSON {
    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let data = try encoder.encode(value)
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func decode<T: Decodable>(_ type: T.Type, from request: Request) async throws -> T {
        let body = try await request.body.collect(upTo: 1 << 20)
        do {
            return try JSONDecoder().decode(type, from: Data(buffer: body))
        } catch {
            throw FlyEmulatorError(.badRequest, "invalid request body: \(error)")
        }
    }
}

extension FlyEmulator {
    /// The token in `Authorization`: `Bearer <token>`, or a `FlyV1 …` macaroon sent as-is.
    static func token(in request: Request) -> String? {
        guard let header = request.headers[.authorization] else { return nil }
        if header.hasPrefix("Bearer ") { return String(header.dropFirst("Bearer ".count)) }
        if header.hasPrefix("FlyV1 ") { return header }
        return nil
    }

    func scope(of request: Request) throws -> FlyTokenScope {
        guard let token = Self.token(in: request), let scope = state.withLock({ $0.tokens[token] }) else {
            throw FlyEmulatorError(.unauthorized, "unauthorized")
        }
        return scope
    }

    /// Checks the token may act on `app` and that the app exists; an app token is refused any other app
    /// before existence is revealed.
    func authorize(_ request: Request, app: String) throws {
        let scope = try scope(of: request)
        let record = state.withLock { $0.apps[app] }
        switch scope {
        case .app(let allowed) where allowed != app:
            throw FlyEmulatorError(.forbidden, "token is not authorized for app \(app)")
        case .organization(let org) where record != nil && record?.org != org:
            throw FlyEmulatorError(.forbidden, "token is not authorized for app \(app)")
        default:
            guard record != nil else { throw FlyEmulatorError(.notFound, "app not found") }
        }
    }
}
